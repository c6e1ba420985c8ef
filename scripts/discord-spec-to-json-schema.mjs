// Turn the npm package `discord-api-spec` (generated from Discord's official OpenAPI spec) into the
// JSON Schema the Discord double validates request bodies with (tests/doubles/discord/spec.py).
//
// scripts/refresh-discord-spec copies it into a throw-away folder where `discord-api-spec` and `zod@4`
// are installed, and runs it there (so both import the same zod).
// Usage: node discord-spec-to-json-schema.mjs <output json> [source json]
//
// - Schemas: the package's zod/mini schemas (every constraint of the official spec that zod can
//   express), converted with zod 4's own `z.toJSONSchema`, each named schema a shared `$defs` entry.
// - Routes: for each path and method of the package's `Paths` type (build/discord-api-spec.ts), the
//   schemas its request body may take (`routes`). A body written inline in the spec (no named schema,
//   so no zod schema) is listed under `inline_routes`: the double cannot check those and says so.
//   Routes that take no body are listed under `bodiless_routes`.
// The converter fails loudly on anything it does not understand, so a change of the package's
// format is seen at refresh time rather than as a silently weaker check.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as z from "zod/mini";
import * as schemas from "discord-api-spec/zod";

const METHODS = new Set(["get", "put", "post", "patch", "delete"]);
const BODY = "      requestBody?:";
// zod types JSON Schema cannot express (zod's own list, json-schema-processors.js).
const UNREPRESENTABLE = new Set(
  ["bigint", "symbol", "void", "date", "map", "set", "transform", "nan", "custom", "function"],
);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(message) {
  console.error(`discord-spec-to-json-schema: ${message}`);
  process.exit(1);
}

// The request body type text of every "path + method" in `export interface Paths { ... }`.
function requestBodyTypes(tsSource) {
  const lines = tsSource.split("\n");
  const start = lines.indexOf("export interface Paths {");
  if (start < 0) fail("no `export interface Paths {` in the package's .ts file");
  const bodies = new Map();
  let path = null;
  let method = null;
  for (let i = start + 1; i < lines.length && lines[i] !== "}"; i++) {
    const line = lines[i];
    const pathMatch = line.match(/^  "(\/[^"]*)": \{$/);
    const methodMatch = line.match(/^    ([a-z]+): \{$/);
    if (pathMatch) [path, method] = [pathMatch[1], null];
    else if (methodMatch) method = METHODS.has(methodMatch[1]) ? methodMatch[1] : null;
    else if (method && line.startsWith(BODY)) {
      const [text, end] = typeExpression(lines, i);
      bodies.set(`${method.toUpperCase()} ${path}`, text);
      i = end;
    }
  }
  if (bodies.size === 0) fail("found no request bodies in `Paths`");
  return bodies;
}

// The type after `requestBody?:`, up to the `;` that ends it outside any braces.
function typeExpression(lines, first) {
  const parts = [lines[first].slice(BODY.length)];
  for (let i = first; i - first < 400; i++) {
    if (i > first) parts.push(lines[i].trim());
    const text = parts.join(" ").trim();
    if (balanced(text) && text.endsWith(";")) return [text.slice(0, -1).trim(), i];
  }
  fail(`unterminated requestBody type at line ${first + 1}`);
}

const balanced = (text) => [...text].reduce((depth, ch) => depth + (ch === "{") - (ch === "}"), 0) === 0;

// What one body type is: no body, an inline object type, or a union of named schemas, arrays of
// them and null (then with its JSON Schema).
function bodySchema(route, text) {
  if (text === "undefined") return { kind: "none" };
  if (text.startsWith("{")) return { kind: "inline" };
  const terms = text.replace(/^\|\s*/, "").split(/\s*\|\s*/);
  const branches = terms.map((term) => {
    if (term === "null") return { type: "null" };
    const array = term.endsWith("[]");
    const name = array ? term.slice(0, -2) : term;
    if (!NAME.test(name)) fail(`${route}: cannot read the body type \`${text}\``);
    const ref = { $ref: `#/$defs/${name}` };
    return array ? { type: "array", items: ref } : ref;
  });
  return { kind: "schema", schema: branches.length === 1 ? branches[0] : { anyOf: branches } };
}

function referencedNames(value, found = new Set()) {
  if (Array.isArray(value)) value.forEach((item) => referencedNames(item, found));
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.add(item.replace("#/$defs/", ""));
      else referencedNames(item, found);
    }
  }
  return found;
}

// Where zod's JSON Schema would differ from the official spec's meaning, put the spec's back.
// - `z.undefined()` (a union branch meaning "the key may be absent") has no JSON Schema form; absence
//   is already expressed by the key not being required, so a present value must match another branch.
// - A date-time: the official spec says only `format: date-time` (RFC 3339, so "+00:00" as much as
//   "Z"); the package's `z.iso.datetime()` adds a pattern that wants a "Z" and would refuse the
//   offsets discord.py sends (embeds.py: `timestamp.astimezone(utc).isoformat()`).
// - Any other type JSON Schema cannot express is an error (zod would otherwise accept anything).
function keepTheSpecsMeaning(context) {
  const type = context.zodSchema._zod.def.type;
  if (type === "undefined") {
    context.jsonSchema.not = {};
  } else if (context.jsonSchema.format === "date-time") {
    delete context.jsonSchema.pattern;
  } else if (UNREPRESENTABLE.has(type)) {
    fail(`a zod ${type} schema cannot be expressed in JSON Schema`);
  }
}

// Every named zod schema of the package, as JSON Schema with `#/$defs/Name` references.
function allDefinitions() {
  const registry = z.registry();
  for (const [exported, schema] of Object.entries(schemas)) {
    if (exported.endsWith("Schema") && schema && typeof schema === "object") {
      registry.add(schema, { id: exported.slice(0, -"Schema".length) });
    }
  }
  const converted = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "input", // what a client may send: optional and defaulted fields need not be present
    unrepresentable: "any", // then checked by keepTheSpecsMeaning
    cycles: "ref",
    reused: "inline",
    uri: (id) => `#/$defs/${id}`,
    override: keepTheSpecsMeaning,
  });
  const defs = {};
  for (const [name, schema] of Object.entries(converted.schemas)) {
    const { $schema, $id, ...rest } = schema;
    defs[name] = rest;
  }
  return defs;
}

// Only the definitions a request body can reach, so the vendored file stays small.
function reachable(defs, roots) {
  const keep = new Set();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop();
    if (keep.has(name)) continue;
    if (!(name in defs)) fail(`the package has no zod schema named ${name}`);
    keep.add(name);
    queue.push(...referencedNames(defs[name]));
  }
  return Object.fromEntries([...keep].sort().map((name) => [name, defs[name]]));
}

function main() {
  const [output, source] = process.argv.slice(2);
  if (!output) fail("usage: discord-spec-to-json-schema.mjs <output json> [source json]");
  const packageDir = join(dirname(new URL(import.meta.url).pathname), "node_modules", "discord-api-spec");
  const tsSource = readFileSync(join(packageDir, "build", "discord-api-spec.ts"), "utf8");
  const routes = {};
  const inline = [];
  const bodiless = [];
  for (const [route, text] of requestBodyTypes(tsSource)) {
    const body = bodySchema(route, text);
    if (body.kind === "schema") routes[route] = body.schema;
    else if (body.kind === "inline") inline.push(route);
    else bodiless.push(route);
  }
  const defs = reachable(allDefinitions(), referencedNames(routes));
  const document = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    "x-source": source ? JSON.parse(source) : {},
    routes: Object.fromEntries(Object.keys(routes).sort().map((key) => [key, routes[key]])),
    inline_routes: inline.sort(),
    bodiless_routes: bodiless.sort(),
    $defs: defs,
  };
  writeFileSync(output, `${JSON.stringify(document, null, 1)}\n`);
  const counts = [Object.keys(routes).length, inline.length, bodiless.length, Object.keys(defs).length];
  console.log(`${counts[0]} routes, ${counts[1]} inline, ${counts[2]} bodiless, ${counts[3]} schemas`);
}

main();
