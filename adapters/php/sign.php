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

try {
    $input = json_decode((string) stream_get_contents(STDIN), true, 64, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
} catch (JsonException $error) {
    fail('stdin is not one JSON object: ' . $error->getMessage());
}
if (!is_array($input) || array_is_list($input) && $input !== []) {
    fail('stdin must hold one JSON object');
}
foreach (['serviceProvider', 'apiKey', 'account', 'integrationCode', 'requestId', 'time'] as $name) {
    if (!is_string($input[$name] ?? null)) {
        fail("$name must be a string, not " . get_debug_type($input[$name] ?? null));
    }
}
$time = DateTimeImmutable::createFromFormat('!Y-m-d\TH:i:s', $input['time'], new DateTimeZone('UTC'));
if ($time === false || $time->format('Y-m-d\TH:i:s') !== $input['time']) {
    fail("time '{$input['time']}' is not a UTC time written yyyy-MM-ddTHH:mm:ss");
}
$transactions = $input['transactions'] ?? [];
if (!is_array($transactions) || !array_is_list($transactions)) {
    fail('transactions must be a list of transactions');
}
foreach ($transactions as $index => $transaction) {
    if (!is_array($transaction)) {
        fail("transactions[$index] must be an object");
    }
}

try {
    $signer = new BankIntegrationSigner($input['serviceProvider'], $input['apiKey'], $input['account'],
                                        $input['integrationCode']);
    echo $signer->authorization($input['requestId'], $time, $transactions), "\n";
} catch (InvalidArgumentException $error) {
    fail($error->getMessage());
}
