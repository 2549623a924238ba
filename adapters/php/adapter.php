<?php

declare(strict_types=1);

// A small BankIntegration client behind the certification protocol of mockbank:
//
//   mockbank certify --adapter "php -d display_errors=stderr /path/to/adapters/php/adapter.php"
//
// The kit writes one JSON request per line to stdin and reads exactly one JSON reply per line from
// stdout; logs go to stderr. To certify your own client, keep this loop and make
// src/Adapter/Operations.php call your client.

use MockBank\BankIntegration\Adapter\BankConnection;
use MockBank\BankIntegration\Adapter\ClientError;
use MockBank\BankIntegration\Adapter\Operations;

require __DIR__ . '/autoload.php';

const ADAPTER_NAME = 'mockbank PHP adapter';
const ADAPTER_VERSION = '1.0.0';

ini_set('serialize_precision', '-1'); // floats written back in their shortest exact form: 217.5, not 217.49999...
ini_set('display_errors', 'stderr');  // a PHP warning must never land on stdout

/**
 * The top-level "id" of a request line (one JSON object) as the JSON text it was sent in; 'null' when it has
 * none. Replies echo this text: json_decode reads 0.1000000000000000000001 as 0.1, 1e400 as INF (which
 * json_encode refuses) and an integer beyond 64 bits as a string.
 */
function idJson(string $line): string
{
    // The tokens: strings, punctuation, numbers and literals, each as [text, offset].
    preg_match_all('/\G[ \t\n\r]*("(?:[^"\\\\]|\\\\.)*"|[{}\[\],:]|[^ \t\n\r{}\[\],:"]+)/', $line, $matches,
                   PREG_OFFSET_CAPTURE);
    $tokens = $matches[1];
    $found = 'null';
    for ($key = 1; $tokens[$key][0] !== '}'; $key = $last + 2) { // past '{', then past each ','
        $depth = 0;
        for ($last = $key + 2; ; $last++) { // up to the end of the value
            $depth += match ($tokens[$last][0]) { '{', '[' => 1, '}', ']' => -1, default => 0 };
            if ($depth === 0) {
                break;
            }
        }
        if (json_decode($tokens[$key][0]) === 'id') { // the last one counts, as in json_decode
            $start = $tokens[$key + 2][1];
            $found = substr($line, $start, $tokens[$last][1] + strlen($tokens[$last][0]) - $start);
        }
        if ($tokens[$last + 1][0] === '}') {
            break;
        }
    }
    return $found;
}

/** The reply to one request line: the id's JSON text and the rest of the reply; never throws. */
function reply(string $line): array
{
    try {
        $request = json_decode($line, false, 512, BankConnection::DECODE_FLAGS);
    } catch (JsonException) {
        $request = null;
    }
    if (!is_object($request)) {
        return ['null', ['ok' => false, 'error' => ['kind' => 'bad-request', 'httpStatus' => null,
                                                    'message' => 'the request line is not a JSON object']]];
    }
    $id = idJson($line);
    if (($request->op ?? null) === 'hello') {
        return [$id, ['ok' => true,
                      'result' => ['ops' => Operations::NAMES, 'name' => ADAPTER_NAME, 'version' => ADAPTER_VERSION]]];
    }
    try {
        return [$id, ['ok' => true, 'result' => Operations::run($request)]];
    } catch (ClientError $error) {
        $kind = $error->kind;
        $status = $error->httpStatus;
    } catch (Throwable $error) { // a request the adapter could not use
        [$kind, $status] = ['bad-request', null];
    }
    return [$id, ['ok' => false,
                  'error' => ['kind' => $kind, 'httpStatus' => $status, 'message' => $error->getMessage()]]];
}

/** One reply as a JSON line: {"id": <the request's id as sent>, "ok": ..., ...}. */
function replyLine(string $id, array $reply): string
{
    $rest = json_encode($reply, BankConnection::ENCODE_FLAGS | JSON_INVALID_UTF8_SUBSTITUTE);
    return '{"id":' . $id . ',' . substr($rest, 1) . "\n";
}

while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    [$id, $reply] = reply($line);
    fwrite(STDOUT, replyLine($id, $reply));
    fflush(STDOUT);
    $outcome = $reply['ok'] ? 'ok' : "{$reply['error']['kind']}: {$reply['error']['message']}";
    fwrite(STDERR, "[php-adapter] #$id $outcome\n");
}
