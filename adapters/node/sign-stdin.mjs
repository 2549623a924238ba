// sign.sh's worker: reads one request as JSON on stdin and prints the Authorization header that
// signer.mjs makes for it. Input: {"serviceProvider", "apiKey", "account", "integrationCode",
// "requestId", "time", "transactions"?}, time as UTC yyyy-MM-ddTHH:mm:ss. Errors: one line on stderr, exit 1.

import { authorizationHeader, formatAmount } from './signer.mjs';

function fail(message) {
  process.stderr.write(`sign.sh: ${message}\n`);
  process.exit(1);
}

// A JSON number as written: JSON.parse would turn 999999999999999.99 into the double 999999999999999.9.
class JsonNumber {
  constructor(text) { this.text = text; }
}

// Reads JSON text that JSON.parse has accepted, keeping numbers exact: an integer as a BigInt, any
// other number as a JsonNumber.
function parseKeepingNumbers(text) {
  const token = /[ \t\n\r]*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([{}[\]:,]))/y;
  const next = () => token.exec(text);
  const value = ([, string, number, literal, punctuation] = next()) => {
    if (string !== undefined) return JSON.parse(string);
    if (number !== undefined) return /[.eE]/.test(number) ? new JsonNumber(number) : BigInt(number);
    if (literal !== undefined) return JSON.parse(literal);
    if (punctuation === '[') {
      const list = [];
      for (let item = next(); item[4] !== ']'; item = next()) if (item[4] !== ',') list.push(value(item));
      return list;
    }
    const object = {};
    for (let key = next(); key[4] !== '}'; key = next()) {
      if (key[4] === ',') continue;
      next(); // the colon
      Object.defineProperty(object, JSON.parse(key[1]),
        { value: value(), enumerable: true, writable: true, configurable: true });
    }
    return object;
  };
  return value();
}

function readRequest(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail('stdin is not UTF-8 text');
  }
  try {
    JSON.parse(text);
  } catch (error) {
    fail(`stdin is not JSON: ${error.message.replace(/\s+/g, ' ')}`);
  }
  const request = parseKeepingNumbers(text);
  if (request === null || typeof request !== 'object' || Array.isArray(request)) fail('stdin must hold one JSON object');
  return request;
}

// A string of Unicode text (not empty unless allowed), or a one-line failure naming the field.
function text(value, where, { empty = true } = {}) {
  if (typeof value !== 'string') fail(`${where} must be a string${value === undefined ? ' (it is missing)' : ''}`);
  if (!empty && value === '') fail(`${where} must not be empty`);
  if (!value.isWellFormed()) fail(`${where} holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text`);
  return value;
}

// True when `written` (yyyy-MM-dd... in UTC) names a real instant from year 1 on: no 2015-02-30, no 24:00:00.
const isReal = (written, suffix) => !written.startsWith('0000')
  && !Number.isNaN(Date.parse(written + suffix)) && new Date(written + suffix).toISOString().startsWith(written);

function time(value) {
  const written = text(value, 'time');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(written) || !isReal(written, 'Z')) {
    fail(`time ${JSON.stringify(written.slice(0, 40))} is not a real UTC time written yyyy-MM-ddTHH:mm:ss`);
  }
  return new Date(`${written}Z`);
}

// A numeric string as the API allows it for amounts ("154.00"): optional minus, dot, no grouping, no exponent.
const NUMERIC_STRING = /^-?[0-9]+(\.[0-9]+)?$/;

function amount(value, where) {
  if (typeof value === 'string' && !NUMERIC_STRING.test(value)) {
    fail(`${where}: ${JSON.stringify(value.slice(0, 40))} is not a decimal number such as 154.50`);
  }
  const signed = value instanceof JsonNumber ? value.text : value;
  try {
    formatAmount(signed);
  } catch (error) {
    fail(`${where}: ${error.message}`);
  }
  return signed;
}

function transaction(value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber) {
    fail(`${where} must be an object`);
  }
  const paymentDate = text(value.paymentDate, `${where}.paymentDate`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(paymentDate) || !isReal(paymentDate, 'T00:00:00Z')) {
    fail(`${where}.paymentDate ${JSON.stringify(paymentDate.slice(0, 40))} is not a real date written yyyy-MM-dd`);
  }
  return {
    paymentId: text(value.paymentId, `${where}.paymentId`, { empty: false }),
    paymentDate,
    amount: amount(value.amount, `${where}.amount`),
    currency: text(value.currency, `${where}.currency`),
    account: text(value.account, `${where}.account`),
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = readRequest(Buffer.concat(chunks));
const credentials = Object.fromEntries(['serviceProvider', 'apiKey', 'account', 'integrationCode']
  .map((name) => [name, text(request[name], name)]));
const requestId = text(request.requestId, 'requestId', { empty: false });
const at = time(request.time);
let transactions = request.transactions ?? null;
if (transactions !== null) {
  if (!Array.isArray(transactions)) fail('transactions must be a list of objects');
  transactions = transactions.map((item, index) => transaction(item, `transactions[${index}]`));
}
try {
  console.log(authorizationHeader(credentials, requestId, transactions, at));
} catch (error) {
  fail(error.message);
}
