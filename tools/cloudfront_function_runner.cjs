// Runs generated CloudFront Function code against requests, in a Node `vm` context that offers
// only what the CloudFront Functions JavaScript runtime 2.0 offers: the language's own globals,
// Buffer and console (no require, process, timers, network or eval).
//
// Protocol (for tests, `make run` and `make bench`): one JSON document per stdin line,
//   {"code": "<generated code>", "requests": [<request>, ...], "repeat": 1}
// one JSON document per stdout line, {"results": [<result>, ...], "nanoseconds": <per call>}.
// A request: {"method", "uri", "rawQueryString": "<raw>" | null (no '?'), "querystring",
//   "headers", "cookies", "requestId", "withoutRawQueryString": bool, "throwIn": "rawQueryString"}.
// A result: {"passedOn": true} (the request came back unchanged) or {"response": {...}},
//   plus "logs" (each console.log line) and "threw" (what escaped the handler, else null).
'use strict';
const vm = require('vm');
const readline = require('readline');

const compiled = new Map();

function handlerFor(code) {
  if (!compiled.has(code)) {
    const logs = [];
    const context = vm.createContext(
      { Buffer, console: { log: (...args) => logs.push(args.join(' ')) } },
      { codeGeneration: { strings: false, wasm: false } },
    );
    new vm.Script(code, { filename: 'cloudfront-function.js' }).runInContext(context);
    compiled.set(code, { handler: vm.runInContext('handler', context), logs });
  }
  return compiled.get(code);
}

function eventFor(spec) {
  const request = {
    method: spec.method,
    uri: spec.uri,
    querystring: spec.querystring || {},
    headers: spec.headers || {},
    cookies: spec.cookies || {},
  };
  if (!spec.withoutRawQueryString) {
    // Runtime 2.0 helper: the query unparsed and unaltered, without '?'; undefined without one.
    request.rawQueryString = () => {
      if (spec.throwIn === 'rawQueryString') throw new TypeError('rawQueryString failed');
      return spec.rawQueryString === null ? undefined : spec.rawQueryString;
    };
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', requestId: spec.requestId || 'test-request-id', distributionId: 'EDFDVBD6EXAMPLE' },
    viewer: { ip: '192.0.2.1' },
    request,
  };
}

function run(code, spec) {
  const { handler, logs } = handlerFor(code);
  logs.length = 0;
  const event = eventFor(spec);
  const before = JSON.stringify(event.request);
  const result = { logs: [], threw: null };
  try {
    const answer = handler(event);
    if (answer === event.request && JSON.stringify(answer) === before) result.passedOn = true;
    else result.response = JSON.parse(JSON.stringify(answer === undefined ? null : answer));
  } catch (error) {
    result.threw = String(error && error.name);
  }
  result.logs = logs.slice();
  return result;
}

function serve(line) {
  const job = JSON.parse(line);
  const results = job.requests.map((spec) => run(job.code, spec));
  const repeat = job.repeat || 0;
  let nanoseconds = null;
  if (repeat > 0 && job.requests.length) {
    const { handler } = handlerFor(job.code);
    const events = job.requests.map(eventFor);
    const start = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) for (const event of events) handler(event);
    nanoseconds = Number(process.hrtime.bigint() - start) / (repeat * events.length);
  }
  return JSON.stringify({ results, nanoseconds });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  let out;
  try {
    out = serve(line);
  } catch (error) {
    out = JSON.stringify({ error: String(error && error.stack) });
  }
  process.stdout.write(out + '\n');
});
