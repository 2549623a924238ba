// Adapter.cs: a small BankIntegration client on HttpClient plus the adapter that `mockbank certify`
// talks to. Built on BankIntegrationSigner.cs; JSON through Json.NET (see KitJson.cs).
//
//   mockbank certify --adapter "mono /abs/path/bin/Adapter.exe"      (Mono)
//   mockbank certify --adapter "dotnet /abs/path/bin/Release/net8.0/BankIntegration.Kit.dll"   (.NET 8)
//
// The kit writes one JSON request per line to stdin and reads exactly one JSON reply per line from
// stdout; logs go to stderr. Parts: 1. errors  2. HTTP  3. the API operations  4. the stdin/stdout loop.
// To certify your own client, keep parts 1 and 4 and make the operations (part 3) call your client.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace BankIntegration.Kit
{
    // ------------------------------------------------------------------ 1. errors

    /// <summary>
    /// A failure the kit understands. Kind is one of unauthorized, bad-request, server-error, timeout,
    /// connection, invalid-response; HttpStatus is the HTTP status when there was one.
    /// </summary>
    public sealed class ClientError : Exception
    {
        public string Kind { get; private set; }
        public int? HttpStatus { get; private set; }

        public ClientError(string kind, int? httpStatus, string message) : base(message)
        {
            Kind = kind;
            HttpStatus = httpStatus;
        }
    }

    // ------------------------------------------------------------------ 2. HTTP

    /// <summary>Signs, sends and checks calls for one adapter request (its base URL, credentials, timeout).</summary>
    public sealed class BankApi
    {
        private const int DefaultTimeoutMs = 10000;

        // One HttpClient for the whole process (a new one per call exhausts sockets on .NET Framework).
        // Its own Timeout is off: each call gets the kit's timeoutMs through a CancellationToken.
        private static readonly HttpClient Http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

        private readonly string baseUrl;
        private readonly JObject credentials;
        private readonly int timeoutMs;

        public BankApi(JObject request)
        {
            baseUrl = KitJson.Text(request["baseUrl"]).TrimEnd('/');
            Uri parsed;
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out parsed) || (parsed.Scheme != "http" && parsed.Scheme != "https"))
                throw new ClientError("bad-request", null, "baseUrl must be an http(s) URL, got " + KitJson.Write(request["baseUrl"] ?? JValue.CreateNull()));
            credentials = request["credentials"] as JObject ?? new JObject();
            JToken timeout = request["timeoutMs"];
            timeoutMs = timeout != null && timeout.Type == JTokenType.Integer && timeout.Value<long>() > 0
                ? (int)Math.Min(timeout.Value<long>(), int.MaxValue) : DefaultTimeoutMs;
        }

        /// <summary>
        /// One API call; returns the parsed JSON answer, or {} for 204 (and an empty 201/202).
        /// <paramref name="payments"/> is given for POST /payment only (one hash per transaction).
        /// </summary>
        public async Task<JObject> CallAsync(HttpMethod method, string path, string requestId,
            IEnumerable<KeyValuePair<string, string>> query = null, JObject body = null,
            IList<PaymentToSign> payments = null)
        {
            string header;
            try
            {
                header = BankIntegrationSigner.AuthorizationHeader(KitJson.Text(credentials["serviceProvider"]),
                    KitJson.Text(credentials["apiKey"]), KitJson.Text(credentials["account"]),
                    KitJson.Text(credentials["integrationCode"]), requestId, DateTime.UtcNow, payments);
            }
            catch (FormatException error)
            {
                throw new ClientError("bad-request", null, "credentials: " + error.Message);
            }

            string queryText = query == null ? "" : string.Join("&",
                query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
            var url = new Uri(baseUrl + path + (queryText.Length > 0 ? "?" + queryText : ""));

            using (var message = new HttpRequestMessage(method, url))
            using (var deadline = new CancellationTokenSource(timeoutMs))
            {
                message.Headers.TryAddWithoutValidation("Authorization", header);
                message.Headers.TryAddWithoutValidation("Accept", "application/json");
                // A fresh connection per call: no stale keep-alive socket after the kit drops one.
                message.Headers.ConnectionClose = true;
                if (body != null)  // Content-Type: application/json; charset=utf-8, no BOM
                    message.Content = new StringContent(KitJson.Write(body), new UTF8Encoding(false), "application/json");

                int status;
                string reason, text;
                try
                {
                    // ResponseContentRead (the default): the body, too, must arrive before the deadline.
                    using (HttpResponseMessage response = await Http.SendAsync(message, deadline.Token).ConfigureAwait(false))
                    {
                        status = (int)response.StatusCode;
                        reason = response.ReasonPhrase;
                        byte[] bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                        text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
                    }
                }
                catch (Exception error) when (deadline.IsCancellationRequested)
                {
                    throw new ClientError("timeout", null, method + " " + path + ": no answer within " + timeoutMs + " ms ("
                        + error.GetType().Name + ")");
                }
                catch (Exception error) when (error is HttpRequestException || error is IOException)
                {
                    throw new ClientError("connection", null, method + " " + path + ": " + Innermost(error).Message);
                }
                return Check(method, path, requestId, status, reason, text);
            }
        }

        private static JObject Check(HttpMethod method, string path, string requestId, int status, string reason, string text)
        {
            string what = (method + " " + path + ": HTTP " + status + " " + reason).Trim();
            if (status == 204 || ((status == 201 || status == 202) && text.Trim().Length == 0))
                return new JObject();  // no content
            if (status == 200 || status == 201 || status == 202)
            {
                JToken parsed;
                try
                {
                    parsed = KitJson.Parse(text);
                }
                catch (JsonException)
                {
                    throw new ClientError("invalid-response", status, what + ": the body is not JSON");
                }
                var answer = parsed as JObject;
                if (answer == null)
                    throw new ClientError("invalid-response", status, what + ": the body is not a JSON object");
                JToken echoed = answer["requestId"];
                if (echoed == null || echoed.Type != JTokenType.String || (string)echoed != requestId)
                    throw new ClientError("invalid-response", status, what + ": requestId "
                        + (echoed == null ? "(missing)" : KitJson.Write(echoed)) + " differs from " + JsonConvert.ToString(requestId));
                return answer;
            }
            string detail = ErrorDetail(text);
            string problem = detail.Length > 0 ? what + ": " + detail : what;
            if (status == 401) throw new ClientError("unauthorized", status, problem);
            if (status >= 400 && status < 500) throw new ClientError("bad-request", status, problem);
            if (status >= 500 && status < 600) throw new ClientError("server-error", status, problem);
            throw new ClientError("invalid-response", status, what + ": unexpected status");
        }

        /// <summary>A short explanation from an error body: the emulator's 401 diagnosis, a message, or an excerpt.</summary>
        private static string ErrorDetail(string text)
        {
            try
            {
                var body = KitJson.Parse(text) as JObject;
                var diagnosis = body == null ? null : body["diagnosis"] as JObject;
                if (diagnosis != null)
                {
                    string cause = KitJson.Text(diagnosis["cause"]), message = KitJson.Text(diagnosis["message"]);
                    string joined = string.Join(": ", new[] { cause, message }.Where(part => part.Length > 0));
                    if (joined.Length > 0) return joined;
                }
                if (body != null && body["message"] != null && body["message"].Type == JTokenType.String)
                    return (string)body["message"];
            }
            catch (JsonException)
            {
                // not JSON: use the text
            }
            string trimmed = text.Trim();
            return trimmed.Length > 200 ? trimmed.Substring(0, 200) : trimmed;
        }

        private static Exception Innermost(Exception error)
        {
            while (error.InnerException != null) error = error.InnerException;
            return error;
        }
    }

    // ------------------------------------------------------------------ 3. the API operations

    public static class Operations
    {
        /// <summary>
        /// One function per adapter op: (params, api) -> the answer's body.
        /// Wrapping your own client? Replace these bodies with calls to it and return what it parsed,
        /// with the API's field names.
        /// </summary>
        public static readonly IDictionary<string, Func<JObject, BankApi, Task<JObject>>> ByName =
            new Dictionary<string, Func<JObject, BankApi, Task<JObject>>>
            {
                { "pay", Pay },
                { "status", (p, api) => api.CallAsync(HttpMethod.Post, "/status", RequestId(p),
                    body: Given(p, "requestId", "paymentIds")) },
                { "payment", (p, api) => api.CallAsync(HttpMethod.Get, "/payment/" + Uri.EscapeDataString(KitJson.Text(p["transId"])),
                    RequestId(p), query: Query(p, "requestId")) },
                { "statement", (p, api) => api.CallAsync(HttpMethod.Get, "/report/account", RequestId(p),
                    query: Query(p, "requestId", "type", "from", "to")) },
                { "balance", (p, api) => api.CallAsync(HttpMethod.Get, "/report/balance", RequestId(p),
                    query: Query(p, "requestId", "type", "from", "to")) },
                { "cancel", (p, api) => api.CallAsync(HttpMethod.Post, "/payment/cancel", RequestId(p),
                    body: new JObject { { "requestId", p["requestId"] }, { "paymentIds", p["paymentIds"] ?? JValue.CreateNull() } }) },
            };

        private static Task<JObject> Pay(JObject p, BankApi api)
        {
            var transactions = p["transactions"] as JArray;
            if (transactions == null || transactions.Count == 0)
                throw new ClientError("bad-request", null, "params.transactions must be a non-empty list");
            List<PaymentToSign> payments;
            try
            {
                payments = KitJson.Payments(transactions, "params.transactions");
            }
            catch (FormatException error)
            {
                throw new ClientError("bad-request", null, error.Message);
            }
            // The transactions go out exactly as given (extra fields included): the kit compares them.
            return api.CallAsync(HttpMethod.Post, "/payment", RequestId(p),
                body: Given(p, "requestId", "transactions", "options"), payments: payments);
        }

        private static string RequestId(JObject p)
        {
            JToken requestId = p["requestId"];
            if (requestId == null || requestId.Type != JTokenType.String || ((string)requestId).Length == 0)
                throw new ClientError("bad-request", null, "params.requestId is required (a non-empty string)");
            return (string)requestId;
        }

        /// <summary>Only the parameters that were given (missing or null ones are left out).</summary>
        private static JObject Given(JObject p, params string[] names)
        {
            var body = new JObject();
            foreach (string name in names)
                if (p[name] != null && p[name].Type != JTokenType.Null) body[name] = p[name].DeepClone();
            return body;
        }

        private static List<KeyValuePair<string, string>> Query(JObject p, params string[] names)
        {
            return Given(p, names).Properties()
                .Select(property => new KeyValuePair<string, string>(property.Name, KitJson.Text(property.Value)))
                .ToList();
        }
    }

    // ------------------------------------------------------------------ 4. the stdin/stdout loop

    public static class Adapter
    {
        private const string Name = "mockbank C# kit (HttpClient, Json.NET)";
        private const string Version = "1.0.0";

        public static int Main()
        {
            // UTF-8 both ways whatever the machine's locale: Console's own encoding follows LANG on
            // Mono (US-ASCII under LANG=C) and the OEM code page on Windows, and would mangle æøå.
            var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            string line;
            while ((line = input.ReadLine()) != null)
            {
                if (line.Trim().Length == 0) continue;  // blank lines are not requests
                JObject reply = HandleAsync(line).GetAwaiter().GetResult();
                try
                {
                    output.WriteLine(KitJson.Write(reply));
                    output.Flush();  // the kit waits for this line
                }
                catch (IOException)
                {
                    return 0;  // the kit went away
                }
                bool ok = (bool)reply["ok"];
                Console.Error.WriteLine("[csharp-adapter] #" + KitJson.Write(reply["id"]) + " "
                    + (ok ? "ok" : KitJson.Text(reply["error"]["kind"])));
            }
            return 0;
        }

        /// <summary>Answers one request line; never throws.</summary>
        public static async Task<JObject> HandleAsync(string line)
        {
            JToken id = IdText(line);
            JObject request;
            try
            {
                request = KitJson.Parse(line) as JObject;
            }
            catch (JsonException error)
            {
                // Not JSON, or a number decimal cannot hold (1e30): answered with the id when the line has one.
                return Failure(id, "bad-request", null, "the request line cannot be read: " + error.Message);
            }
            if (request == null)
                return Failure(id, "bad-request", null, "the request line is not a JSON object");

            string op = KitJson.Text(request["op"]);
            try
            {
                if (op == "hello")
                    return Success(id, new JObject
                    {
                        { "ops", new JArray(Operations.ByName.Keys.ToArray()) }, { "name", Name }, { "version", Version },
                    });
                Func<JObject, BankApi, Task<JObject>> operation;
                if (!Operations.ByName.TryGetValue(op, out operation))
                    throw new ClientError("bad-request", null, "unknown op " + KitJson.Write(request["op"] ?? JValue.CreateNull()));
                JObject parameters = request["params"] as JObject ?? new JObject();
                return Success(id, await operation(parameters, new BankApi(request)).ConfigureAwait(false));
            }
            catch (ClientError error)
            {
                return Failure(id, error.Kind, error.HttpStatus, error.Message);
            }
            catch (Exception error)
            {
                // Anything else is a request we could not use.
                return Failure(id, "bad-request", null, error.GetType().Name + ": " + error.Message);
            }
        }

        // One token of JSON text, from where the last one ended: a string, punctuation, or a number or literal.
        private static readonly Regex JsonToken =
            new Regex(@"\G[ \t\n\r]*(""(?:[^""\\]|\\.)*""|[{}\[\],:]|[^ \t\n\r{}\[\],:""]+)");

        /// <summary>
        /// The top-level "id" of a request line as the JSON text it was sent in (JSON null when there is none
        /// or it cannot be read). Replies echo this text, so the kit gets back exactly its id, whatever the
        /// number (1e400 fits neither decimal nor double), even when another number on the line cannot be read.
        /// </summary>
        private static JToken IdText(string line)
        {
            List<Group> tokens = JsonToken.Matches(line).Cast<Match>().Select(match => match.Groups[1]).ToList();
            if (tokens.Count == 0 || tokens[0].Value != "{") return JValue.CreateNull();
            string found = null;
            // {key: value, key: value, ...}: i is at a key; the line may end anywhere.
            for (int i = 1; i + 2 < tokens.Count && tokens[i + 1].Value == ":"; )
            {
                int last = EndOfValue(tokens, i + 2);
                if (last < 0) break;
                if (IsIdKey(tokens[i].Value))  // the last one counts, as in Json.NET
                    found = line.Substring(tokens[i + 2].Index, tokens[last].Index + tokens[last].Length - tokens[i + 2].Index);
                i = last + 2;  // past the ','
            }
            return found != null && KitJson.IsJson(found) ? new JRaw(found) : JValue.CreateNull();
        }

        private static bool IsIdKey(string token)
        {
            try
            {
                JToken key = KitJson.Parse(token);
                return key.Type == JTokenType.String && (string)key == "id";
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>The index of the last token of the value that starts at <paramref name="first"/>, or -1.</summary>
        private static int EndOfValue(List<Group> tokens, int first)
        {
            for (int i = first, depth = 0; i < tokens.Count; i++)
            {
                if (tokens[i].Value == "{" || tokens[i].Value == "[") depth++;
                else if (tokens[i].Value == "}" || tokens[i].Value == "]") depth--;
                if (depth <= 0) return i;
            }
            return -1;
        }

        private static JObject Success(JToken id, JObject result)
        {
            return new JObject { { "id", id }, { "ok", true }, { "result", result } };
        }

        private static JObject Failure(JToken id, string kind, int? httpStatus, string message)
        {
            return new JObject
            {
                { "id", id }, { "ok", false },
                { "error", new JObject { { "kind", kind }, { "httpStatus", httpStatus }, { "message", message } } },
            };
        }
    }
}
