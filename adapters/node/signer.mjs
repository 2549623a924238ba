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
  const hex = String(apiKey).trim().replace(/^[{(]|[})]$/g, '').replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError('apiKey is not a GUID');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([b.subarray(0, 4).reverse(), b.subarray(4, 6).reverse(),
    b.subarray(6, 8).reverse(), b.subarray(8)]);
}

// The token: lower-case hex SHA-256 of the UTF-8 bytes of the integration code (æøå included).
export const integrationToken = (integrationCode) =>
  crypto.createHash('sha256').update(String(integrationCode), 'utf8').digest('hex');

// HMAC-SHA256 of the payload's UTF-8 bytes, standard padded Base64.
const hmacBase64 = (key, payload) => crypto.createHmac('sha256', key).update(payload, 'utf8').digest('base64');

// The amount component: two decimals, '.' as separator, no grouping (154 -> "154.00").
// Never toLocaleString: a Danish locale writes "154,00" and the signature no longer matches.
// toFixed works on the binary double: fine for amounts with at most two decimals.
export const formatAmount = (amount) => Number(amount).toFixed(2);

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
      id: t.paymentId,
      hash: hmacBase64(key, payload(t.currency, String(t.paymentDate).replace(/-/g, ''),
        formatAmount(t.amount), t.account, t.paymentId)),
    }));

  // Compact JSON in this key order (JSON.stringify keeps insertion order), UTF-8, Base64.
  const auth = { serviceProvider, account, time, requestId, hash };
  return 'Basic ' + Buffer.from(JSON.stringify(auth), 'utf8').toString('base64');
}
