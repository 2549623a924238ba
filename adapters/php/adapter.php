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

/** The reply to one request line; never throws. */
function reply(string $line): array
{
    try {
        $request = json_decode($line, false, 512, BankConnection::DECODE_FLAGS);
    } catch (JsonException) {
        $request = null;
    }
    if (!is_object($request)) {
        return ['id' => null, 'ok' => false, 'error' => ['kind' => 'bad-request', 'httpStatus' => null,
                                                          'message' => 'the request line is not a JSON object']];
    }
    $id = $request->id ?? null;
    if (($request->op ?? null) === 'hello') {
        return ['id' => $id, 'ok' => true,
                'result' => ['ops' => Operations::NAMES, 'name' => ADAPTER_NAME, 'version' => ADAPTER_VERSION]];
    }
    try {
        return ['id' => $id, 'ok' => true, 'result' => Operations::run($request)];
    } catch (ClientError $error) {
        $kind = $error->kind;
        $status = $error->httpStatus;
    } catch (Throwable $error) { // a request the adapter could not use
        [$kind, $status] = ['bad-request', null];
    }
    return ['id' => $id, 'ok' => false,
            'error' => ['kind' => $kind, 'httpStatus' => $status, 'message' => $error->getMessage()]];
}

while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    $reply = reply($line);
    fwrite(STDOUT, json_encode($reply, BankConnection::ENCODE_FLAGS | JSON_INVALID_UTF8_SUBSTITUTE) . "\n");
    fflush(STDOUT);
    fwrite(STDERR, "[php-adapter] #" . json_encode($reply['id']) . ' '
                   . ($reply['ok'] ? 'ok' : "{$reply['error']['kind']}: {$reply['error']['message']}") . "\n");
}
