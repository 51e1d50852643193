#!/usr/bin/env node
// Evaluate JSONata with its reference implementation (npm `jsonata`, installed by tools/install-scanners.sh),
// many evaluations per process. Each line on stdin is a request: expressions and the bindings to evaluate them with;
//   {"expressions": ["...", ...], "bindings": {"states": {...}}, "fixed": {"millis": 0, "uuid": "..."}}
// each expression's answer is a line on stdout, in order:
//   {"value": ...} | {"undefined": true} | {"error": {"code": "D3137" or null, "message": "..."}}
// Step Functions' own functions are bound as Step Functions defines them ($parse, $hash); those that read the clock
// or a random source ($millis, $now, $uuid) return the request's `fixed` values, so that another engine can be
// given the same ones. tests/local/test_jsonata_reference.py drives it.
'use strict';

const crypto = require('crypto');
const path = require('path');
const readline = require('readline');

const jsonata = require(path.join(__dirname, '.npm-jsonata', 'node_modules', 'jsonata'));

// Step Functions' `$hash` algorithms, as node's crypto names them.
const HASH_ALGORITHMS = {'MD5': 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512'};

function stepFunctionsFunctions(fixed) {
  return {
    parse(text) {
      if (typeof text !== 'string') throw new Error('$parse expects a string');
      return JSON.parse(text);
    },
    hash(value, algorithm) {
      if (typeof value !== 'string' || !(algorithm in HASH_ALGORITHMS)) {
        throw new Error(`$hash expects a string and one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
      }
      return crypto.createHash(HASH_ALGORITHMS[algorithm]).update(value, 'utf8').digest('hex');
    },
    millis: () => fixed.millis,
    now: () => new Date(fixed.millis).toISOString(),
    uuid: () => fixed.uuid,
  };
}

async function answer(expression, bindings) {
  try {
    const value = await jsonata(expression).evaluate(undefined, bindings);
    return value === undefined ? {undefined: true} : {value};
  } catch (error) {
    return {error: {code: error.code || null, message: error.message || String(error)}};
  }
}

async function main() {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line);
    const bindings = {...stepFunctionsFunctions(request.fixed || {}), ...request.bindings};
    for (const expression of request.expressions) {
      process.stdout.write(JSON.stringify(await answer(expression, bindings)) + '\n');
    }
  }
}

main();
