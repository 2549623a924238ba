#!/usr/bin/env node
// A minimal BankIntegration client plus a certification adapter, Node.js standard library only.
//
//   mockbank certify --adapter "node adapters/node/adapter.mjs"      (or ./certify.sh)
//
// The kit writes one JSON request per line to stdin and reads exactly one JSON reply per line
// from stdout. Everything else (logging) goes to stderr. See README.md next to this file.
//
// Signing lives in signer.mjs (the file to copy). Parts here: 1. HTTP  2. the API operations
// 3. the stdin/stdout loop. To certify your own client, keep part 3 and make OPERATIONS (part 2)
// call your client.

import http from 'node:http';
import https from 'node:https';
import readline from 'node:readline';

import { authorizationHeader } from './signer.mjs';

const NAME = 'mockbank Node.js kit adapter';
const VERSION = '1.0';
const DEFAULT_TIMEOUT_MS = 10000;

// An error the kit understands: kind is one of unauthorized, bad-request, server-error,
// timeout, connection, invalid-response; httpStatus is the HTTP status or null.
class ClientError extends Error {
  constructor(kind, httpStatus, message) {
    super(message);
    this.kind = kind;
    this.httpStatus = httpStatus;
  }
}

// ---------------------------------------------------------------- 1. HTTP

// Sends one request and resolves to { status, text }, or rejects with a ClientError of kind
// 'timeout' (no complete answer within timeoutMs) or 'connection' (refused, reset, hang-up).
function send(method, url, headers, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body), 'utf8');
    if (data) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
      headers['Content-Length'] = data.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    // agent: false = a fresh connection per request, so no stale keep-alive socket surprises.
    const req = transport.request(url, { method, headers, agent: false });
    let done = false;
    const finish = (error, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) { req.destroy(); reject(error); } else resolve(value);
    };
    const timer = setTimeout(() => finish(
      new ClientError('timeout', null, `${method} ${url.pathname}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const connectionError = (error) => finish(
      new ClientError('connection', null, `${method} ${url.pathname}: ${error.code || ''} ${error.message}`.trim()));

    req.on('error', connectionError);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', connectionError);
      res.on('end', () => finish(null, { status: res.statusCode, reason: res.statusMessage,
        text: Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '') }));
    });
    req.end(data);
  });
}

// A short explanation from an error body: the emulator's 401 diagnosis, a message, or an excerpt.
function errorDetail(text) {
  try {
    const body = JSON.parse(text);
    const d = body && body.diagnosis;
    if (d && (d.cause || d.message)) return [d.cause, d.message].filter(Boolean).join(': ');
    if (body && typeof body.message === 'string') return body.message;
  } catch { /* not JSON: use the text */ }
  return text.trim().slice(0, 200);
}

// Signs, sends and checks one API call; resolves to the parsed JSON answer.
async function callApi(request, method, path, { query, body, transactions = null } = {}) {
  const requestId = request.params.requestId;
  if (typeof requestId !== 'string' || !requestId) throw new ClientError('bad-request', null, 'params.requestId is required');
  const url = new URL(String(request.baseUrl).replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query || {})) url.searchParams.set(name, String(value));
  const headers = {
    Accept: 'application/json',
    Authorization: authorizationHeader(request.credentials || {}, requestId, transactions),
  };
  const timeoutMs = request.timeoutMs > 0 ? request.timeoutMs : DEFAULT_TIMEOUT_MS;
  const { status, reason, text } = await send(method, url, headers, body, timeoutMs);

  const what = `${method} ${path}: HTTP ${status} ${reason || ''}`.trim();
  if (status === 204 || ((status === 201 || status === 202) && !text.trim())) return {}; // no content
  if (status === 200 || status === 201 || status === 202) {
    let parsed;
    try { parsed = JSON.parse(text); } catch {
      throw new ClientError('invalid-response', status, `${what}: the body is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ClientError('invalid-response', status, `${what}: the body is not a JSON object`);
    }
    if (parsed.requestId !== requestId) {
      throw new ClientError('invalid-response', status, `${what}: requestId ${JSON.stringify(parsed.requestId)} differs from ${JSON.stringify(requestId)}`);
    }
    return parsed;
  }
  const message = `${what}: ${errorDetail(text)}`.replace(/: $/, '');
  if (status === 401) throw new ClientError('unauthorized', status, message);
  if (status >= 400 && status < 500) throw new ClientError('bad-request', status, message);
  if (status >= 500 && status < 600) throw new ClientError('server-error', status, message);
  throw new ClientError('invalid-response', status, `${what}: unexpected status`);
}

// ---------------------------------------------------------------- 2. the API operations

// Only the parameters that were given (undefined/null are left out).
const given = (object) => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null));

// The query of the two reports: requestId plus type/from/to when given.
const reportQuery = ({ requestId, type, from, to }) => given({ requestId, type, from, to });

// One function per adapter op: (request) -> Promise of the answer's body.
// Wrapping your own client? Replace these bodies with calls to it and return what it parsed.
const OPERATIONS = {
  pay: (r) => {
    const { requestId, transactions, options } = r.params;
    if (!Array.isArray(transactions) || transactions.length === 0) {
      throw new ClientError('bad-request', null, 'params.transactions must be a non-empty list');
    }
    return callApi(r, 'POST', '/payment', { body: given({ requestId, transactions, options }), transactions });
  },
  status: (r) => callApi(r, 'POST', '/status',
    { body: given({ requestId: r.params.requestId, paymentIds: r.params.paymentIds }) }),
  payment: (r) => callApi(r, 'GET', '/payment/' + encodeURIComponent(r.params.transId ?? ''),
    { query: { requestId: r.params.requestId } }),
  statement: (r) => callApi(r, 'GET', '/report/account', { query: reportQuery(r.params) }),
  balance: (r) => callApi(r, 'GET', '/report/balance', { query: reportQuery(r.params) }),
  cancel: (r) => callApi(r, 'POST', '/payment/cancel',
    { body: { requestId: r.params.requestId, paymentIds: r.params.paymentIds } }),
};

// ---------------------------------------------------------------- 3. the stdin/stdout loop

// The tokens of JSON text: strings, punctuation, and numbers or literals, each with where it ends.
function* jsonTokens(text) {
  const token = /[ \t\n\r]*("(?:[^"\\]|\\.)*"|[{}[\],:]|[^ \t\n\r{}[\],:"]+)/y;
  for (let match; (match = token.exec(text)) !== null;) {
    yield { text: match[1], start: token.lastIndex - match[1].length, end: token.lastIndex };
  }
}

// The JSON text of the top-level "id" of a request line (one JSON object), as sent; 'null' when it has
// none. Replies echo this text: JSON.parse reads numbers as doubles, so the id 12345678901234567 would
// come back as 12345678901234568.
function idText(line) {
  const tokens = jsonTokens(line);
  tokens.next(); // the object's '{'
  let found = 'null';
  for (let key = tokens.next().value; key && key.text !== '}'; key = tokens.next().value) {
    tokens.next(); // ':'
    const first = tokens.next().value;
    let last = first;
    for (let depth = 0; ; last = tokens.next().value) { // up to the end of the value
      if (last.text === '{' || last.text === '[') depth += 1;
      else if (last.text === '}' || last.text === ']') depth -= 1;
      if (depth === 0) break;
    }
    if (JSON.parse(key.text) === 'id') found = line.slice(first.start, last.end); // the last one counts
    if (tokens.next().value.text === '}') break; // else ','
  }
  return found;
}

// Answers one request line with { id: the id's JSON text, reply: the rest of the reply }; never throws.
async function handle(line) {
  let request;
  try { request = JSON.parse(line); } catch { /* handled below */ }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { id: 'null', reply: { ok: false, error: { kind: 'bad-request', httpStatus: null, message: 'the request line is not a JSON object' } } };
  }
  const id = idText(line);
  if (request.op === 'hello') { // the kit's first request: which operations this adapter offers
    return { id, reply: { ok: true, result: { ops: Object.keys(OPERATIONS), name: NAME, version: VERSION } } };
  }
  try {
    const operation = Object.hasOwn(OPERATIONS, request.op) ? OPERATIONS[request.op] : null;
    if (!operation) throw new ClientError('bad-request', null, `unknown op ${JSON.stringify(request.op)}`);
    if (request.params === null || typeof request.params !== 'object') request.params = {};
    return { id, reply: { ok: true, result: await operation(request) } };
  } catch (error) {
    // A ClientError keeps its kind; anything else is a request we could not use.
    const kind = error instanceof ClientError ? error.kind : 'bad-request';
    const httpStatus = error instanceof ClientError ? error.httpStatus : null;
    return { id, reply: { ok: false, error: { kind, httpStatus, message: String(error?.message || error) } } };
  }
}

// One reply as a JSON line: {"id": <the request's id as sent>, "ok": ..., ...}.
const replyLine = (id, reply) => `{"id":${id},${JSON.stringify(reply).slice(1)}\n`;

// One request at a time, in order; the process ends when stdin closes.
process.stdout.on('error', () => process.exit(0)); // the kit went away
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue; // blank lines are not requests
  const { id, reply } = await handle(line);
  process.stdout.write(replyLine(id, reply));
  console.error(`[node-adapter] #${id} ${reply.ok ? 'ok' : reply.error.kind}`);
}
