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
                string text = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false)).ReadToEnd();
                stdout.WriteLine(Header(text));
                stdout.Flush();
                return 0;
            }
            catch (FormatException error)
            {
                Console.Error.WriteLine("sign: " + error.Message);
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

            DateTime time;
            if (!DateTime.TryParseExact(Required(input, "time"), "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time))
                throw new FormatException("time must be UTC written yyyy-MM-ddTHH:mm:ss, e.g. 2025-01-07T12:00:00");

            JToken transactions = input["transactions"];
            List<PaymentToSign> payments = transactions == null || transactions.Type == JTokenType.Null
                ? null : KitJson.Payments(transactions, "transactions");

            return BankIntegrationSigner.AuthorizationHeader(Required(input, "serviceProvider"), Required(input, "apiKey"),
                Required(input, "account"), Required(input, "integrationCode"), Required(input, "requestId"), time, payments);
        }

        private static string Required(JObject input, string name)
        {
            JToken value = input[name];
            if (value == null || value.Type != JTokenType.String)
                throw new FormatException(name + " is required (a JSON string)");
            return (string)value;
        }
    }
}
