<?php

declare(strict_types=1);

// Loads MockBank\BankIntegration\* from src/ (PSR-4), so the scripts run without composer install.
spl_autoload_register(static function (string $class): void {
    $prefix = 'MockBank\\BankIntegration\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
