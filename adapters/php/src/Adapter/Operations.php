<?php

declare(strict_types=1);

namespace MockBank\BankIntegration\Adapter;

use InvalidArgumentException;
use MockBank\BankIntegration\BankIntegrationSigner;
use stdClass;

/**
 * One method per op of the certification protocol, each mapping the request's params to one API
 * call. Wrapping your own client? Make these methods call it and return the body it received,
 * with the API's field names.
 */
final class Operations
{
    public const NAMES = ['pay', 'status', 'payment', 'statement', 'balance', 'cancel'];
    private const DEFAULT_TIMEOUT_MS = 10000;

    /** Runs one request ({"op", "baseUrl", "credentials", "params", "timeoutMs"?}); returns the answer body. */
    public static function run(object $request): object
    {
        $op = $request->op ?? null;
        if (!in_array($op, self::NAMES, true)) {
            throw new ClientError('bad-request', 'unknown op ' . json_encode($op, BankConnection::ENCODE_FLAGS));
        }
        $params = is_object($request->params ?? null) ? $request->params : new stdClass();
        $requestId = $params->requestId ?? null;
        if (!is_string($requestId) || $requestId === '') {
            throw new ClientError('bad-request', 'params.requestId must be a non-empty string');
        }
        $bank = self::connection($request);
        return match ($op) {
            'pay' => self::pay($bank, $requestId, $params),
            'status' => $bank->send('POST', '/status', $requestId,
                                    body: self::given($params, 'requestId', 'paymentIds')),
            'payment' => $bank->send('GET', '/payment/' . rawurlencode(self::text($params->transId ?? null)),
                                     $requestId, query: ['requestId' => $requestId]),
            'statement' => $bank->send('GET', '/report/account', $requestId, query: self::reportQuery($params)),
            'balance' => $bank->send('GET', '/report/balance', $requestId, query: self::reportQuery($params)),
            'cancel' => $bank->send('POST', '/payment/cancel', $requestId, body: (object) [
                'requestId' => $requestId, 'paymentIds' => $params->paymentIds ?? null]),
        };
    }

    private static function pay(BankConnection $bank, string $requestId, object $params): object
    {
        $transactions = $params->transactions ?? null;
        if (!is_array($transactions) || $transactions === []) {
            throw new ClientError('bad-request', 'params.transactions must be a non-empty list');
        }
        // The body carries the transactions exactly as given; the signer reads them as arrays.
        $signed = [];
        foreach ($transactions as $index => $transaction) {
            if (!is_object($transaction)) {
                throw new ClientError('bad-request', "params.transactions[$index] must be an object");
            }
            if (is_float($transaction->amount ?? null) && !is_finite($transaction->amount)) { // 1e400 reads as INF
                throw new ClientError('bad-request', "params.transactions[$index].amount is beyond a PHP float's range");
            }
            $signed[] = get_object_vars($transaction);
        }
        return $bank->send('POST', '/payment', $requestId,
                           body: self::given($params, 'requestId', 'transactions', 'options'), transactions: $signed);
    }

    private static function connection(object $request): BankConnection
    {
        $credentials = is_object($request->credentials ?? null) ? $request->credentials : new stdClass();
        try {
            $signer = new BankIntegrationSigner(self::text($credentials->serviceProvider ?? null),
                self::text($credentials->apiKey ?? null), self::text($credentials->account ?? null),
                self::text($credentials->integrationCode ?? null));
        } catch (InvalidArgumentException $error) {
            throw new ClientError('bad-request', 'credentials: ' . $error->getMessage());
        }
        $baseUrl = self::text($request->baseUrl ?? null);
        if (!preg_match('#^https?://#i', $baseUrl)) {
            throw new ClientError('bad-request', "baseUrl '$baseUrl' is not an http(s) URL");
        }
        $timeoutMs = $request->timeoutMs ?? null;
        $timeoutMs = (is_int($timeoutMs) || is_float($timeoutMs)) && $timeoutMs > 0
            ? (int) ceil($timeoutMs) : self::DEFAULT_TIMEOUT_MS;
        return new BankConnection($baseUrl, $signer, $timeoutMs);
    }

    /** The query of the two reports: requestId plus type, from and to when given. */
    private static function reportQuery(object $params): array
    {
        return array_map([self::class, 'text'], get_object_vars(self::given($params, 'requestId', 'type', 'from', 'to')));
    }

    /** The named params that are present and not null. */
    private static function given(object $params, string ...$names): object
    {
        $picked = new stdClass();
        foreach ($names as $name) {
            if (isset($params->$name)) {
                $picked->$name = $params->$name;
            }
        }
        return $picked;
    }

    /** A scalar param as text (true as "true", as JSON writes it); anything else as "". */
    private static function text(mixed $value): string
    {
        return match (true) {
            is_bool($value) => $value ? 'true' : 'false',
            is_scalar($value) => (string) $value,
            default => '',
        };
    }
}
