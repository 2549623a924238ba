<?php

declare(strict_types=1);

// Reads one JSON object {"serviceProvider", "apiKey", "account", "integrationCode", "requestId",
// "time", "transactions"?} on stdin and prints the Authorization header value that
// BankIntegrationSigner produces. time is UTC yyyy-MM-ddTHH:mm:ss; transactions as in a POST
// /payment body. Errors: one line on stderr, exit status 1.

use MockBank\BankIntegration\BankIntegrationSigner;

require __DIR__ . '/autoload.php';

function fail(string $message): never
{
    fwrite(STDERR, "sign: $message\n");
    exit(1);
}

/** A JSON number as written: json_decode would make 999999999999999.99 the float 999999999999999.9. */
final class JsonNumber
{
    public function __construct(public readonly string $text)
    {
    }
}

/**
 * The JSON text json_decode has accepted, decoded again keeping numbers exact: an integer within 64 bits
 * as an int, any other number as a JsonNumber; objects as stdClass.
 */
function decode_keeping_numbers(string $json): mixed
{
    preg_match_all('/[ \t\n\r]*(?:("(?:[^"\\\\]|\\\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([{}[\]:,]))/A',
                   $json, $tokens, PREG_SET_ORDER | PREG_UNMATCHED_AS_NULL);
    $at = 0;
    $value = function () use (&$value, &$at, $tokens): mixed {
        [, $string, $number, $literal, $punctuation] = $tokens[$at++];
        if ($string !== null || $literal !== null) {
            return json_decode($string ?? $literal, false, 2, JSON_THROW_ON_ERROR);
        }
        if ($number !== null) {
            $integer = preg_match('/^-?\d+$/', $number) && ($number === '-0' || (string) (int) $number === $number);
            return $integer ? (int) $number : new JsonNumber($number);
        }
        $list = $punctuation === '[';
        $items = $list ? [] : new stdClass();
        while (($next = $tokens[$at][4]) !== ($list ? ']' : '}')) {
            if ($next === ',') {
                $at++;
            } elseif ($list) {
                $items[] = $value();
            } else {
                $key = json_decode($tokens[$at][1], false, 2, JSON_THROW_ON_ERROR);
                $at += 2; // the key and the colon
                $items->$key = $value();
            }
        }
        $at++;
        return $items;
    };
    return $value();
}

/** The string field $name of $object, or a one-line failure naming it as $where. */
function text(object $object, string $name, string $where, bool $empty = true): string
{
    $value = $object->$name ?? null;
    if (!is_string($value)) {
        fail("$where must be a string, not " . get_debug_type($value));
    }
    if (!$empty && $value === '') {
        fail("$where must not be empty");
    }
    return $value;
}

/**
 * The signed fields of one POST /payment transaction: paymentId a non-empty string, paymentDate a
 * real yyyy-MM-dd date, amount a number or a numeric string, currency and account strings.
 */
function transaction(mixed $value, string $where): array
{
    if (!$value instanceof stdClass) {
        fail("$where must be an object, not " . get_debug_type($value));
    }
    $date = text($value, 'paymentDate', "$where.paymentDate");
    $day = DateTimeImmutable::createFromFormat('!Y-m-d', $date, new DateTimeZone('UTC'));
    if (!preg_match('/^\d{4}-\d{2}-\d{2}$/', $date) || $day === false || $day->format('Y-m-d') !== $date
        || $date < '0001') {
        fail("$where.paymentDate '$date' is not a real date written yyyy-MM-dd");
    }
    $amount = $value->amount ?? null;
    if (is_string($amount) && !preg_match('/^-?[0-9]+(\.[0-9]+)?$/', $amount)) {
        fail("$where.amount: '$amount' is not a decimal number such as 154.50");
    }
    $amount = $amount instanceof JsonNumber ? $amount->text : $amount;
    try {
        BankIntegrationSigner::formatAmount($amount);
    } catch (InvalidArgumentException $error) {
        fail("$where.amount: {$error->getMessage()}");
    }
    return ['paymentId' => text($value, 'paymentId', "$where.paymentId", false), 'paymentDate' => $date,
            'amount' => $amount, 'currency' => text($value, 'currency', "$where.currency"),
            'account' => text($value, 'account', "$where.account")];
}

$json = (string) stream_get_contents(STDIN);
try {
    json_decode($json, false, 64, JSON_THROW_ON_ERROR);
} catch (JsonException $error) {
    fail('stdin is not one JSON object: ' . $error->getMessage());
}
$input = decode_keeping_numbers($json);
if (!$input instanceof stdClass) {
    fail('stdin must hold one JSON object');
}
[$serviceProvider, $apiKey, $account, $integrationCode] = array_map(
    fn (string $name): string => text($input, $name, $name),
    ['serviceProvider', 'apiKey', 'account', 'integrationCode'],
);
$requestId = text($input, 'requestId', 'requestId', false);
$written = text($input, 'time', 'time');
$time = DateTimeImmutable::createFromFormat('!Y-m-d\TH:i:s', $written, new DateTimeZone('UTC'));
if ($time === false || $time->format('Y-m-d\TH:i:s') !== $written || $written < '0001') {
    fail("time '$written' is not a real UTC time written yyyy-MM-ddTHH:mm:ss");
}
$transactions = $input->transactions ?? [];
if (!is_array($transactions)) {
    fail('transactions must be a list of objects, not ' . get_debug_type($transactions));
}
$transactions = array_map(fn (mixed $item, int $index): array => transaction($item, "transactions[$index]"),
                          $transactions, array_keys($transactions));

try {
    $signer = new BankIntegrationSigner($serviceProvider, $apiKey, $account, $integrationCode);
    echo $signer->authorization($requestId, $time, $transactions), "\n";
} catch (InvalidArgumentException $error) {
    fail($error->getMessage());
}
