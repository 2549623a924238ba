// sign.sh's worker: reads one request as JSON on stdin and prints the Authorization header that
// signer.mjs makes for it. Input: {"serviceProvider", "apiKey", "account", "integrationCode",
// "requestId", "time", "transactions"?}, time as UTC yyyy-MM-ddTHH:mm:ss. Errors: one line on stderr, exit 1.

import { authorizationHeader } from './signer.mjs';

function fail(message) {
  process.stderr.write(`sign.sh: ${message}\n`);
  process.exit(1);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
let request;
try {
  request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch (error) {
  fail(`stdin is not JSON: ${error.message.replace(/\s+/g, ' ')}`);
}
if (request === null || typeof request !== 'object' || Array.isArray(request)) fail('stdin must hold one JSON object');
const missing = ['serviceProvider', 'apiKey', 'account', 'integrationCode', 'requestId', 'time']
  .filter((name) => typeof request[name] !== 'string' || request[name] === '');
if (missing.length) fail(`missing or not a text: ${missing.join(', ')}`);
if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(request.time)) fail(`time: "${request.time}" is not yyyy-MM-ddTHH:mm:ss`);
const at = new Date(`${request.time}Z`);
if (Number.isNaN(at.getTime())) fail(`time: "${request.time}" is not a real instant`);
const transactions = request.transactions ?? [];
if (!Array.isArray(transactions)) fail('transactions must be a list of objects');
transactions.forEach((t, index) => {
  const absent = ['paymentId', 'paymentDate', 'amount', 'currency', 'account'].filter((name) => !(t && name in t));
  if (absent.length) fail(`transactions[${index}] lacks ${absent.join(', ')}`);
});
try {
  console.log(authorizationHeader(request, request.requestId, transactions, at));
} catch (error) {
  fail(error.message);
}
