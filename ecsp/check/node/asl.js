// Validates Step Functions definitions with asl-validator, many in one run: reads a JSON
// array of {"id", "definition"} (the definition as the JSON text the API receives) on stdin,
// writes a JSON array of {"id", "errors"} (empty errors: valid) on stdout.
"use strict";
const aslValidator = require("asl-validator");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
    const results = JSON.parse(input).map(({ id, definition }) => {
        let parsed;
        try {
            parsed = JSON.parse(definition);
        } catch (e) {
            return { id, errors: [`the definition is not JSON: ${e.message}`] };
        }
        const { isValid, errors } = aslValidator(parsed);
        return { id, errors: isValid ? [] : errors.map((e) => `${e["Error code"] ?? ""}: ${e.Message ?? JSON.stringify(e)}`) };
    });
    process.stdout.write(JSON.stringify(results));
});
