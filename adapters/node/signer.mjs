// Sign BankIntegration requests: the whole algorithm in one file, Node.js standard library only.
//
// Copy this file into your product. It has no dependencies.
//
//   import { authorizationHeader } from './signer.mjs';
//   const credentials = { serviceProvider: 'MyERP', apiKey: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
//                         account: '12345678901234', integrationCode: 'Kode-1234' };
//   authorizationHeader(credentials, 'REQ_0001');                 // status, reports, cancel, GET /payment
//   authorizationHeader(credentials, 'REQ_0002', transactions);   // POST /payment: one hash per transaction
//
// Send the result as the Authorization header.

import crypto from 'node:crypto';

// The HMAC key: the API key GUID's 16 bytes in .NET Guid.ToByteArray() order. The first three
// groups (4, 2 and 2 bytes) are byte-reversed, the last 8 bytes keep their textual order.
// "3f2504e0-4f89-11d3-..." -> e0 04 25 3f  89 4f  d3 11  ...
export function guidKeyBytes(apiKey) {
  const text = String(apiKey).trim();
  if (!GUID.test(text)) {
    throw new TypeError('apiKey is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301 (D, N, B or P spelling)');
  }
  const b = Buffer.from(text.replace(/[-{}()]/g, ''), 'hex');
  return Buffer.concat([b.subarray(0, 4).reverse(), b.subarray(4, 6).reverse(),
    b.subarray(6, 8).reverse(), b.subarray(8)]);
}

// The .NET spellings of a GUID: D (dashed), N (32 digits), B {in braces} and P (in parentheses), any case.
const DASHED = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const GUID = new RegExp(`^(?:${DASHED}|[0-9a-fA-F]{32}|\\{${DASHED}\\}|\\(${DASHED}\\))$`);

// The token: lower-case hex SHA-256 of the UTF-8 bytes of the integration code (æøå included).
export const integrationToken = (integrationCode) =>
  crypto.createHash('sha256').update(String(integrationCode), 'utf8').digest('hex');

// HMAC-SHA256 of the payload's UTF-8 bytes, standard padded Base64.
const hmacBase64 = (key, payload) => crypto.createHmac('sha256', key).update(payload, 'utf8').digest('base64');

// The amount component: two decimals, '.' as separator, no grouping (154 -> "154.00").
// Never toLocaleString: a Danish locale writes "154,00" and the signature no longer matches.
// Never toFixed: it rounds the binary double, so 2.675 (2.67499999...) becomes "2.67"; the bank rounds the
// decimal value half away from zero ("2.68"). So the amount is rounded on its decimal text: a number's
// shortest text (String(2.675) is "2.675"), a BigInt's digits, or a string as written in the JSON body, either
// a numeric string such as "154.00" or a JSON number's text (to keep digits a double cannot hold).
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MAX_WHOLE_DIGITS = 26; // the bank's decimal arithmetic writes amounts up to 28 digits, 2 of them decimals

export function formatAmount(amount) {
  let text;
  if (typeof amount === 'bigint') text = amount.toString();
  else if (typeof amount === 'number' && Number.isFinite(amount)) text = Object.is(amount, -0) ? '-0' : String(amount);
  else if (typeof amount === 'string') text = amount;
  const parts = text === undefined ? null : DECIMAL_TEXT.exec(text);
  if (!parts) throw new TypeError(`${describe(amount)} is not a decimal number such as 154.50`);
  const [, sign, whole, fraction = '', exponent = '0'] = parts;
  const written = whole + fraction;
  const digits = written.replace(/^0+/, '');
  // The position of the decimal point in `digits` (negative: zeros after the point come first).
  const point = whole.length + Number(exponent) - (written.length - digits.length);
  if (digits !== '' && point > MAX_WHOLE_DIGITS) throw new RangeError(`${text} is too large for an amount`);
  const kept = digits === '' || point < -2 ? '0' : digits.slice(0, point + 2).padEnd(point + 2, '0') || '0';
  const roundsUp = digits !== '' && point >= -2 && digits[point + 2] >= '5';
  const cents = (BigInt(kept) + (roundsUp ? 1n : 0n)).toString().padStart(3, '0');
  if (cents.length - 2 > MAX_WHOLE_DIGITS) throw new RangeError(`${text} is too large for an amount`);
  return `${sign}${cents.slice(0, -2)}.${cents.slice(-2)}`;
}

const describe = (value) => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  return value !== null && typeof value === 'object' ? 'an object' : String(value);
};

// The payment date component: yyyyMMdd from yyyy-MM-dd. Any other text is signed as it is sent, as the bank
// reads it, so that the bank's answer names the bad date instead of a bad signature.
export function formatPaymentDate(paymentDate) {
  const text = String(paymentDate);
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  return parts ? parts.slice(1).join('') : text;
}

// Builds the Authorization header value. Without transactions (or with an empty list): one hash,
// id = requestId. With transactions (POST /payment): one hash per transaction, id = paymentId.
// `at` is the request's instant (a Date, default now); it is written in UTC.
export function authorizationHeader(credentials, requestId, transactions = null, at = new Date()) {
  const { serviceProvider, apiKey, account, integrationCode } = credentials;
  const key = guidKeyBytes(apiKey);
  const token = integrationToken(integrationCode);
  const time = at.toISOString().slice(0, 19); // UTC "yyyy-MM-ddTHH:mm:ss"
  const now = time.replace(/[-:T]/g, '');      // same instant as "yyyyMMddHHmmss"

  // The ten payload components, joined by '#'; empty components are kept.
  const payload = (currency, paydate, amount, credacc, payid) =>
    [token, account, currency, requestId, paydate, amount, credacc, serviceProvider, payid, now].join('#');

  const hash = !transactions || transactions.length === 0
    ? [{ id: requestId, hash: hmacBase64(key, payload('', '', '', '', requestId)) }]
    : transactions.map((t) => ({
      id: String(t.paymentId),
      hash: hmacBase64(key, payload(t.currency, formatPaymentDate(t.paymentDate),
        formatAmount(t.amount), t.account, t.paymentId)),
    }));

  // Compact JSON in this key order (JSON.stringify keeps insertion order), UTF-8, Base64.
  const auth = { serviceProvider, account, time, requestId, hash };
  return 'Basic ' + Buffer.from(JSON.stringify(auth), 'utf8').toString('base64');
}
