<?php

declare(strict_types=1);

namespace MockBank\BankIntegration\Adapter;

use RuntimeException;

/**
 * A failure the certification kit understands: kind is one of unauthorized, bad-request,
 * server-error, timeout, connection, invalid-response; httpStatus is null without an answer.
 */
final class ClientError extends RuntimeException
{
    public function __construct(
        public readonly string $kind,
        string $message,
        public readonly ?int $httpStatus = null,
    ) {
        parent::__construct($message);
    }
}
