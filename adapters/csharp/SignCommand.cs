// SignCommand.cs: the program behind sign.sh. Reads one JSON object on stdin
//   {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
// (time as yyyy-MM-ddTHH:mm:ss UTC) and prints the Authorization header that
// BankIntegrationSigner.cs produces. Errors: one line on stderr, exit status 2.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace BankIntegration.Kit
{
    public static class SignCommand
    {
        public static int Main()
        {
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            try
            {
                // Strict UTF-8 (a bad byte is an error, not U+FFFD) and a byte order mark kept, so that JSON refuses it.
                string text = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, true), false).ReadToEnd();
                stdout.WriteLine(Header(text));
                stdout.Flush();
                return 0;
            }
            catch (FormatException error)
            {
                Console.Error.WriteLine("sign: " + error.Message);
                return 2;
            }
            catch (DecoderFallbackException)
            {
                Console.Error.WriteLine("sign: stdin is not UTF-8 text");
                return 2;
            }
        }

        /// <exception cref="FormatException">The input is not the expected JSON object.</exception>
        public static string Header(string text)
        {
            JObject input;
            try
            {
                input = KitJson.Parse(text) as JObject;
            }
            catch (JsonException error)
            {
                throw new FormatException("the input is not JSON: " + error.Message);
            }
            if (input == null) throw new FormatException("the input must be one JSON object");
            string lone = LoneSurrogate(text);
            if (lone != null)
                throw new FormatException("the input holds a lone surrogate escape " + lone + ", which is not Unicode text");

            DateTime time;
            if (!DateTime.TryParseExact(Required(input, "time"), "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time))
                throw new FormatException("time must be UTC written yyyy-MM-ddTHH:mm:ss, e.g. 2025-01-07T12:00:00");

            string requestId = Required(input, "requestId");
            if (requestId.Length == 0) throw new FormatException("requestId must not be empty");

            JToken transactions = input["transactions"];
            List<PaymentToSign> payments = transactions == null || transactions.Type == JTokenType.Null
                ? null : KitJson.Payments(transactions, "transactions");
            for (int i = 0; payments != null && i < payments.Count; i++)
            {
                string where = "transactions[" + i + "]";
                if (payments[i].PaymentId.Length == 0) throw new FormatException(where + ".paymentId must not be empty");
            }

            return BankIntegrationSigner.AuthorizationHeader(Required(input, "serviceProvider"), Required(input, "apiKey"),
                Required(input, "account"), Required(input, "integrationCode"), requestId, time, payments);
        }

        private static string Required(JObject input, string name)
        {
            JToken value = input[name];
            if (value == null || value.Type != JTokenType.String)
                throw new FormatException(name + " is required (a JSON string)");
            return (string)value;
        }

        /// <summary>
        /// A \ud800-\udfff escape in the JSON text's strings that is not half of a pair, or null. Json.NET
        /// reads it as U+FFFD, so the header would sign another text than the one given.
        /// </summary>
        private static string LoneSurrogate(string json)
        {
            bool inString = false;
            for (int i = 0; i < json.Length; i++)
            {
                if (json[i] == '"') inString = !inString;
                else if (inString && json[i] == '\\' && Escaped(json, i) < 0) i++;
                else if (inString && json[i] == '\\')
                {
                    int unit = Escaped(json, i);
                    if (unit >= 0xD800 && unit < 0xDC00 && Escaped(json, i + 6) >= 0xDC00 && Escaped(json, i + 6) < 0xE000) i += 11;
                    else if (unit >= 0xD800 && unit < 0xE000) return json.Substring(i, 6);
                    else i += 5;
                }
            }
            return null;
        }

        /// <summary>The code unit of the \uXXXX escape at <paramref name="at"/>, or -1.</summary>
        private static int Escaped(string json, int at)
        {
            int unit;
            if (at + 6 > json.Length || json[at] != '\\' || json[at + 1] != 'u'
                    || !int.TryParse(json.Substring(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out unit))
                return -1;
            return unit;
        }
    }
}
