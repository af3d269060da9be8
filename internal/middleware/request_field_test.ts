import assert from "node:assert/strict";
import { createContext } from "./context.ts";
import { requestField } from "./request_field.ts";

Deno.test("requestField(): what Headers.get gives, from the parsed fields or without them", () => {
  const names = ["x-request-id", "content-length", "set-cookie", "traceparent", "a"];
  for (let round = 0; round < 300; round++) {
    const fields: [string, string][] = [];
    const count = Math.floor(Math.random() * 8);
    for (let i = 0; i < count; i++) {
      const name = names[Math.floor(Math.random() * names.length)]!;
      fields.push([name, ["", "1", "x y", "é"][Math.floor(Math.random() * 4)]!]);
    }
    const request = new Request("http://lb/", { headers: fields });
    const parsed = createContext(request, "10.0.0.1", { headerFields: fields });
    const plain = createContext(request, "10.0.0.1");
    for (const name of [...names, "missing"]) {
      const expected = request.headers.get(name);
      assert.equal(requestField(parsed, name), expected, `${name} of ${JSON.stringify(fields)}`);
      assert.equal(requestField(plain, name), expected);
    }
  }
});
