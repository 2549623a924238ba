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
    try {
        BankIntegrationSigner::formatAmount($amount);
    } catch (InvalidArgumentException $error) {
        fail("$where.amount: {$error->getMessage()}");
    }
    return ['paymentId' => text($value, 'paymentId', "$where.paymentId", false), 'paymentDate' => $date,
            'amount' => $amount, 'currency' => text($value, 'currency', "$where.currency"),
            'account' => text($value, 'account', "$where.account")];
}

try {
    $input = json_decode((string) stream_get_contents(STDIN), false, 64, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
} catch (JsonException $error) {
    fail('stdin is not one JSON object: ' . $error->getMessage());
}
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
