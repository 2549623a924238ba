<?php

declare(strict_types=1);

namespace MockBank\BankIntegration\Adapter;

use CurlHandle;
use DateTimeImmutable;
use JsonException;
use MockBank\BankIntegration\BankIntegrationSigner;

/**
 * Signs and sends one API request with curl and turns the answer into its parsed JSON body (objects
 * as stdClass, so {} stays {}) or a ClientError of the right kind.
 */
final class BankConnection
{
    /** Decoding keeps integers beyond 64 bits as text; amounts like 217.5 are floats (15 digits). */
    public const DECODE_FLAGS = JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR;
    public const ENCODE_FLAGS = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR;
    private const SUCCESS = [200, 201, 202];

    public function __construct(
        private readonly string $baseUrl,
        private readonly BankIntegrationSigner $signer,
        private readonly int $timeoutMs,
    ) {
    }

    /**
     * @param array<string, scalar|null> $query
     * @param list<array<string, mixed>> $transactions signed per transaction (POST /payment only)
     */
    public function send(string $method, string $path, string $requestId, array $query = [], ?object $body = null,
                         array $transactions = []): object
    {
        $url = rtrim($this->baseUrl, '/') . $path . ($query === [] ? '' : '?' . http_build_query($query));
        $headers = ['Accept: application/json', 'Expect:',
                    'Authorization: ' . $this->signer->authorization($requestId, new DateTimeImmutable(), $transactions)];
        $curl = curl_init();
        $options = [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT_MS => $this->timeoutMs,     // the whole exchange, connecting included
            CURLOPT_NOSIGNAL => true,                   // needed for timeouts under a second
            CURLOPT_FOLLOWLOCATION => false,            // a 3xx is an unexpected answer
            CURLOPT_FRESH_CONNECT => true,              // no stale keep-alive connection
            CURLOPT_FORBID_REUSE => true,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = json_encode($body, self::ENCODE_FLAGS);
            $headers[] = 'Content-Type: application/json; charset=utf-8';
        }
        $options[CURLOPT_HTTPHEADER] = $headers;
        curl_setopt_array($curl, $options);

        $what = "$method $path";
        $text = curl_exec($curl);
        if ($text === false) {
            throw self::transportError($what, $curl);
        }
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        return self::readAnswer("$what: HTTP $status", $status, self::withoutBom($text), $requestId);
    }

    private static function transportError(string $what, CurlHandle $curl): ClientError
    {
        if (curl_errno($curl) === CURLE_OPERATION_TIMEDOUT) {
            return new ClientError('timeout', "$what: no complete answer in time");
        }
        return new ClientError('connection', "$what: " . curl_error($curl));
    }

    private static function readAnswer(string $what, int $status, string $text, string $requestId): object
    {
        if ($status === 204 || (in_array($status, [201, 202], true) && trim($text) === '')) {
            return new \stdClass(); // no content
        }
        if (in_array($status, self::SUCCESS, true)) {
            try {
                $answer = json_decode($text, false, 512, self::DECODE_FLAGS);
            } catch (JsonException) {
                throw new ClientError('invalid-response', "$what: the body is not JSON", $status);
            }
            if (!is_object($answer)) {
                throw new ClientError('invalid-response', "$what: the body is not a JSON object", $status);
            }
            if (($answer->requestId ?? null) !== $requestId) {
                $echoed = json_encode($answer->requestId ?? null, self::ENCODE_FLAGS);
                throw new ClientError('invalid-response', "$what: requestId $echoed differs from \"$requestId\"",
                                      $status);
            }
            return $answer;
        }
        $detail = self::errorDetail($text);
        throw match (true) {
            $status === 401 => new ClientError('unauthorized', $what . $detail, $status),
            $status >= 400 && $status < 500 => new ClientError('bad-request', $what . $detail, $status),
            $status >= 500 && $status < 600 => new ClientError('server-error', $what . $detail, $status),
            default => new ClientError('invalid-response', "$what: unexpected status", $status),
        };
    }

    /** A short explanation from an error body: the emulator's 401 diagnosis, its message, or an excerpt. */
    private static function errorDetail(string $text): string
    {
        try {
            $body = json_decode($text, false, 512, self::DECODE_FLAGS);
        } catch (JsonException) {
            $body = null;
        }
        if (is_object($body) && is_object($body->diagnosis ?? null)) {
            return ': ' . implode(': ', array_filter([$body->diagnosis->cause ?? null, $body->diagnosis->message ?? null],
                                                     'is_string'));
        }
        if (is_object($body) && is_string($body->message ?? null)) {
            return ': ' . $body->message;
        }
        $excerpt = substr(trim($text), 0, 200); // a cut UTF-8 character is replaced when the reply is written
        return $excerpt === '' ? '' : ": $excerpt";
    }

    private static function withoutBom(string $text): string
    {
        return str_starts_with($text, "\u{FEFF}") ? substr($text, 3) : $text;
    }
}
