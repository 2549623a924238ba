<?php

declare(strict_types=1);

namespace MockBank\BankIntegration;

use DateTimeImmutable;
use DateTimeInterface;
use DateTimeZone;
use InvalidArgumentException;

/**
 * Builds the Authorization header of the BankIntegration REST API (api.bankintegration.dk).
 * PHP 8.1+ with ext-json only (hash and base64 are core): copy this one file into your ERP.
 *
 * Every request carries "Basic " + Base64(UTF-8 JSON of the auth object):
 *
 *   {"serviceProvider":"MyERP","account":"52470021527478","time":"2015-05-21T10:45:23",
 *    "requestId":"REQ_01","hash":[{"id":"REQ_01","hash":"<Base64 HMAC-SHA256>"}]}
 *
 * Each hash is an HMAC-SHA256 over ten components joined by '#' (empty ones are kept):
 *
 *   token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now
 *
 * A POST /payment has one hash per transaction (id = paymentId); every other request has one hash
 * (id = requestId) whose currency, paydate, amount and credacc are empty and payid is the requestId.
 *
 *   $signer = new BankIntegrationSigner('MyERP', $apiKey, '52470021527478', $integrationCode);
 *   $header = $signer->authorization('REQ_01', new DateTimeImmutable('now'), $transactions);
 */
final class BankIntegrationSigner
{
    private const JSON_FLAGS = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES
        | JSON_UNESCAPED_LINE_TERMINATORS | JSON_THROW_ON_ERROR;

    /** The bank's decimal arithmetic writes amounts with at most 28 digits, two of them decimals. */
    private const MAX_WHOLE_DIGITS = 26;

    private readonly string $key;

    public function __construct(
        private readonly string $serviceProvider, // the ERP name/code issued with the API key
        string $apiKey,                           // a GUID, e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301
        private readonly string $account,         // the own account, 14-digit BBAN (reg.no + account no)
        private readonly string $integrationCode, // the account's integration code ("Kunde Kode")
    ) {
        $this->key = self::keyBytes($apiKey);
    }

    /**
     * The Authorization header value for a request signed at $time (any time zone; UTC is sent).
     * Without transactions it signs a non-payment request (status, statement, balance, cancel,
     * GET /payment/<transId>); with transactions (as in the POST /payment body) a payment request.
     *
     * @param list<array{paymentId: string, paymentDate: string, amount: int|float|string,
     *                   currency: string, account: string}> $transactions
     */
    public function authorization(string $requestId, DateTimeInterface $time, array $transactions = []): string
    {
        $utc = DateTimeImmutable::createFromInterface($time)->setTimezone(new DateTimeZone('UTC'));
        $now = $utc->format('YmdHis'); // the payload's "now": the same instant as the JSON "time"
        $token = self::token($this->integrationCode);
        $payload = fn (string $currency, string $paydate, string $amount, string $credacc, string $payid): string =>
            implode('#', [$token, $this->account, $currency, $requestId, $paydate, $amount, $credacc,
                          $this->serviceProvider, $payid, $now]);

        $hashes = [];
        if ($transactions === []) {
            $hashes[] = ['id' => $requestId, 'hash' => $this->mac($payload('', '', '', '', $requestId))];
        }
        foreach (array_values($transactions) as $index => $transaction) {
            try {
                $amount = self::formatAmount($transaction['amount'] ?? null);
            } catch (InvalidArgumentException $error) {
                throw new InvalidArgumentException("transactions[$index].amount: {$error->getMessage()}", 0, $error);
            }
            $paymentId = self::text($transaction['paymentId'] ?? null);
            $hashes[] = ['id' => $paymentId, 'hash' => $this->mac($payload(
                self::text($transaction['currency'] ?? null),
                self::formatPaymentDate(self::text($transaction['paymentDate'] ?? null)),
                $amount,
                self::text($transaction['account'] ?? null), // the creditor account exactly as sent
                $paymentId,
            ))];
        }

        // Key order as documented; compact, UTF-8 as is ("æ" not "\u00e6"), "/" not "\/".
        $auth = ['serviceProvider' => $this->serviceProvider, 'account' => $this->account,
                 'time' => $utc->format('Y-m-d\TH:i:s'), 'requestId' => $requestId, 'hash' => $hashes];
        return 'Basic ' . base64_encode(json_encode($auth, self::JSON_FLAGS));
    }

    /**
     * The HMAC key: the API key GUID's 16 bytes in .NET Guid.ToByteArray() order. The first three
     * groups (4, 2 and 2 bytes) are byte-reversed, the last 8 bytes keep their textual order:
     * "3f2504e0-4f89-11d3-9a0c-..." gives e0 04 25 3f 89 4f d3 11 9a 0c ...
     * Using the GUID's text, or hex2bin() of it as written, is the most common signing mistake.
     * Accepts the D, N, B ({...}) and P ((...)) spellings in any case.
     */
    public static function keyBytes(string $apiKey): string
    {
        $guid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
        $text = trim($apiKey);
        if (!preg_match("/^(?:$guid|\\{{$guid}\\}|\\($guid\\)|[0-9a-fA-F]{32})$/", $text)) {
            throw new InvalidArgumentException(
                'apiKey is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301');
        }
        $bytes = hex2bin(str_replace(['-', '{', '}', '(', ')'], '', $text));
        return strrev(substr($bytes, 0, 4)) . strrev(substr($bytes, 4, 2)) . strrev(substr($bytes, 6, 2))
            . substr($bytes, 8);
    }

    /** The token: lower-case hex SHA-256 of the integration code's UTF-8 bytes (not Latin-1). */
    public static function token(string $integrationCode): string
    {
        return hash('sha256', $integrationCode);
    }

    /**
     * The payload's amount: two decimals, '.' as separator, no grouping (154 -> "154.00",
     * 217.5 -> "217.50"). An int, a float or a numeric string (a DECIMAL column as PDO returns it) is
     * rounded on its decimal text, half away from zero ("2.675" -> "2.68"; a float by its shortest
     * text, so 2.675 too), keeping the sign of a negative decimal that rounds to zero ("-0.001" ->
     * "-0.00"). A float holds 15 significant digits: pass larger amounts as strings.
     * Pitfall: sprintf('%.2f') follows setlocale(LC_NUMERIC) and gives "154,00" under da_DK.
     */
    public static function formatAmount(mixed $amount): string
    {
        $text = match (true) {
            is_int($amount) => (string) $amount,
            is_float($amount) && is_finite($amount) => var_export($amount, true), // the shortest text
            is_string($amount) => $amount,
            default => null,
        };
        if ($text === null || !preg_match('/^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/', $text, $parts)) {
            $shown = is_string($amount) ? "'$amount'" : get_debug_type($amount);
            throw new InvalidArgumentException("$shown is not a decimal number such as 154.50");
        }
        [, $sign, $whole] = $parts;
        $written = $whole . ($parts[3] ?? '');
        $digits = ltrim($written, '0');
        // The position of the decimal point in $digits (negative: zeros after the point come first).
        $point = strlen($whole) + (int) ($parts[4] ?? 0) - (strlen($written) - strlen($digits));
        if ($digits === '' || $point < -2) {
            return "{$sign}0.00";
        }
        $cents = $point > self::MAX_WHOLE_DIGITS ? '' : str_pad(substr($digits, 0, $point + 2), $point + 2, '0');
        if (($digits[$point + 2] ?? '0') >= '5') {
            $cents = self::increment($cents);
        }
        $cents = str_pad(ltrim($cents, '0'), 3, '0', STR_PAD_LEFT);
        if ($point > self::MAX_WHOLE_DIGITS || strlen($cents) - 2 > self::MAX_WHOLE_DIGITS) {
            throw new InvalidArgumentException("$text is too large for an amount");
        }
        return $sign . substr($cents, 0, -2) . '.' . substr($cents, -2);
    }

    /** The decimal digits $digits plus one ("199" -> "200", "" -> "1"). */
    private static function increment(string $digits): string
    {
        for ($i = strlen($digits) - 1; $i >= 0; $i--) {
            if ($digits[$i] !== '9') {
                $digits[$i] = chr(ord($digits[$i]) + 1);
                return $digits;
            }
            $digits[$i] = '0';
        }
        return '1' . $digits;
    }

    /**
     * yyyy-MM-dd becomes the payload's yyyyMMdd. Any other text is signed as sent, as the bank
     * does, so that the bank's answer names the bad date instead of a bad signature.
     */
    private static function formatPaymentDate(string $date): string
    {
        return preg_match('/^\d{4}-\d{2}-\d{2}$/', $date) ? str_replace('-', '', $date) : $date;
    }

    /** Base64 (standard, '=' padded) of HMAC-SHA256(key, UTF-8 payload). */
    private function mac(string $payload): string
    {
        return base64_encode(hash_hmac('sha256', $payload, $this->key, true));
    }

    /** A scalar as the bank reads it in a payload: text as is, a number as written, null as "". */
    private static function text(mixed $value): string
    {
        return is_scalar($value) ? (string) $value : '';
    }
}
