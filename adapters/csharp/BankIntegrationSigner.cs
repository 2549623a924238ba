// BankIntegrationSigner.cs: the BankIntegration request signature in one file. Copy it into your ERP.
//
// Standard library only, and only APIs that exist both in .NET Framework 4.5+/Mono and in .NET 8
// (netstandard 2.0): SHA256, HMACSHA256, Guid.ToByteArray, Convert.ToBase64String, Encoding.UTF8.
//
//   string header = BankIntegrationSigner.AuthorizationHeader(
//       "MyERP", apiKey, "52470021527478", integrationCode, "REQ_0001", DateTime.UtcNow);
//   httpRequest.Headers.TryAddWithoutValidation("Authorization", header);
//
// For POST /payment pass the transactions (one hash per transaction). The header is
// "Basic " + Base64(UTF-8 of the compact auth JSON):
//
//   {"serviceProvider":"MyERP","account":"52470021527478","time":"2025-01-07T12:00:00",
//    "requestId":"REQ_0001","hash":[{"id":"REQ_0001","hash":"<Base64 HMAC-SHA256>"}]}
//
// Each hash is HMAC-SHA256 over ten parts joined by '#' (empty parts are kept):
//
//   token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now
//
// Culture pitfalls this file avoids (an ERP thread often runs under da-DK):
//   * decimal.ToString() under da-DK writes 1234,50 (decimal comma): the bank expects 1234.50.
//   * DateTime.ToString() under da-DK writes "07.01.2025 12.00.00" on .NET with ICU culture data
//     (Mono writes "07-01-2025 12:00:00"); even a custom format is not safe: ':' and '/' are the
//     culture's time and date separators, so "yyyy-MM-ddTHH:mm:ss" becomes "2025-01-07T12.00.00"
//     under da-DK on .NET 8. Every format below names CultureInfo.InvariantCulture.
//   * Encoding.Default is the ANSI code page (Windows-1252) on .NET Framework, UTF-8 on .NET 8 and
//     whatever the locale says on Mono (US-ASCII under LANG=C): æøå then hash differently on each.
//     Always Encoding.UTF8.
//   * DateTime.Now is local time (Danish time is UTC+1/+2): the bank wants UTC, DateTime.UtcNow.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BankIntegration
{
    /// <summary>The fields of one POST /payment transaction that are signed.</summary>
    public sealed class PaymentToSign
    {
        public string PaymentId { get; set; }
        public DateTime PaymentDate { get; set; }
        public decimal Amount { get; set; }
        public string Currency { get; set; }
        /// <summary>The creditor account exactly as sent (BBAN, IBAN or FIK string).</summary>
        public string Account { get; set; }
    }

    public static class BankIntegrationSigner
    {
        private const char Separator = '#';

        /// <summary>
        /// The Authorization header value for one request.
        /// Without transactions (null or empty) it signs a non-payment request: one hash, id = requestId.
        /// With transactions (POST /payment) it makes one hash per transaction, id = its PaymentId.
        /// </summary>
        /// <param name="utcTime">The request's instant in UTC (DateTime.UtcNow); a Local DateTime is converted.</param>
        public static string AuthorizationHeader(string serviceProvider, string apiKey, string account,
            string integrationCode, string requestId, DateTime utcTime, IList<PaymentToSign> transactions = null)
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(
                AuthJson(serviceProvider, apiKey, account, integrationCode, requestId, utcTime, transactions)));
        }

        /// <summary>The compact auth JSON (keys in the documented order) before Base64.</summary>
        public static string AuthJson(string serviceProvider, string apiKey, string account,
            string integrationCode, string requestId, DateTime utcTime, IList<PaymentToSign> transactions = null)
        {
            DateTime utc = utcTime.Kind == DateTimeKind.Local ? utcTime.ToUniversalTime() : utcTime;
            byte[] key = KeyBytes(apiKey);
            string token = IntegrationToken(integrationCode);
            string now = utc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

            var hashes = new List<KeyValuePair<string, string>>();
            if (transactions == null || transactions.Count == 0)
            {
                string payload = Payload(token, account, "", requestId, "", "", "", serviceProvider, requestId, now);
                hashes.Add(new KeyValuePair<string, string>(requestId, Hash(key, payload)));
            }
            else
            {
                foreach (PaymentToSign t in transactions)
                {
                    string payload = Payload(token, account, t.Currency, requestId,
                        t.PaymentDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture), FormatAmount(t.Amount),
                        t.Account, serviceProvider, t.PaymentId, now);
                    hashes.Add(new KeyValuePair<string, string>(t.PaymentId, Hash(key, payload)));
                }
            }

            var json = new StringBuilder("{");
            json.Append("\"serviceProvider\":").Append(JsonString(serviceProvider));
            json.Append(",\"account\":").Append(JsonString(account));
            json.Append(",\"time\":").Append(JsonString(utc.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)));
            json.Append(",\"requestId\":").Append(JsonString(requestId));
            json.Append(",\"hash\":[");
            for (int i = 0; i < hashes.Count; i++)
            {
                if (i > 0) json.Append(',');
                json.Append("{\"id\":").Append(JsonString(hashes[i].Key));
                json.Append(",\"hash\":").Append(JsonString(hashes[i].Value)).Append('}');
            }
            return json.Append("]}").ToString();
        }

        /// <summary>
        /// The HMAC key: the API key GUID's 16 bytes in Guid.ToByteArray() order (the first three groups
        /// byte-reversed). In C# this is free; do NOT use Encoding.UTF8.GetBytes(apiKey) (the GUID's text).
        /// Guid.Parse accepts "d"/"N"/"B"/"P" spellings in any case.
        /// </summary>
        public static byte[] KeyBytes(string apiKey)
        {
            Guid guid;
            if (!Guid.TryParse((apiKey ?? "").Trim(), out guid))
                throw new FormatException("apiKey is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301");
            return guid.ToByteArray();
        }

        /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes of the integration code.</summary>
        public static string IntegrationToken(string integrationCode)
        {
            using (SHA256 sha = SHA256.Create())
            {
                byte[] digest = sha.ComputeHash(Encoding.UTF8.GetBytes(integrationCode ?? ""));
                // BitConverter writes "0A-1B-..." in upper case: strip the dashes, lower the case.
                return BitConverter.ToString(digest).Replace("-", "").ToLowerInvariant();
            }
        }

        /// <summary>
        /// The amount part: two decimals, '.' separator, no grouping (154 -> "154.00", 0.1 -> "0.10").
        /// "0.00" on a decimal rounds half away from zero (2.675 -> "2.68"), as the bank does; a negative
        /// amount that rounds to zero keeps its sign (-0.001 -> "-0.00"), which Mono and .NET Framework drop.
        /// </summary>
        public static string FormatAmount(decimal amount)
        {
            string text = amount.ToString("0.00", CultureInfo.InvariantCulture);
            bool negative = (decimal.GetBits(amount)[3] & int.MinValue) != 0;
            return negative && !text.StartsWith("-", StringComparison.Ordinal) ? "-" + text : text;
        }

        /// <summary>The ten payload parts joined by '#', in the documented order.</summary>
        public static string Payload(string token, string custacc, string currency, string reqid, string paydate,
            string amount, string credacc, string erp, string payid, string now)
        {
            return string.Join(Separator.ToString(), new[]
                { token, custacc, currency, reqid, paydate, amount, credacc, erp, payid, now });
        }

        /// <summary>Standard padded Base64 of HMAC-SHA256(key, UTF-8 of the payload).</summary>
        public static string Hash(byte[] key, string payload)
        {
            using (var hmac = new HMACSHA256(key))
            {
                return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(payload)));
            }
        }

        /// <summary>
        /// A JSON string literal: quote, backslash and control characters escaped; every other character
        /// (æ, ø, å, ...) written as itself, so it ends up as UTF-8 bytes in the header, not as \u00e6.
        /// (DataContractJsonSerializer writes "/" as "\/" and System.Text.Json's default encoder writes
        /// "æ" as "\u00E6": either changes the Base64 of the header.)
        /// </summary>
        public static string JsonString(string value)
        {
            var text = new StringBuilder("\"");
            foreach (char c in value ?? "")
            {
                switch (c)
                {
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    case '\n': text.Append("\\n"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\t': text.Append("\\t"); break;
                    case '\b': text.Append("\\b"); break;
                    case '\f': text.Append("\\f"); break;
                    default:
                        if (c < ' ') text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else text.Append(c);
                        break;
                }
            }
            return text.Append('"').ToString();
        }
    }
}
