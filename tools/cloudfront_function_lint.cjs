// Refuses CloudFront Function code that runtime 2.0 would not run: syntax outside the features
// CloudFront documents (ES 5.1 plus const/let, arrow functions, template literals, rest
// parameters; CloudFront developer guide, "JavaScript runtime 2.0 features for CloudFront
// Functions") and any global outside the runtime's own (no require, process, timers, eval).
// Deliberately narrower than the runtime: what is not listed here is refused, not guessed at.
//
// Usage: node tools/cloudfront_function_lint.cjs < code.js; prints one problem a line, exits 1
// when there is any.
'use strict';
const acorn = require('acorn');
const walk = require('acorn-walk');

const NODE_TYPES = new Set([
  'Program', 'VariableDeclaration', 'VariableDeclarator', 'FunctionDeclaration', 'FunctionExpression',
  'ArrowFunctionExpression', 'BlockStatement', 'ExpressionStatement', 'ReturnStatement', 'IfStatement',
  'ForStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement', 'BreakStatement',
  'ContinueStatement', 'TryStatement', 'CatchClause', 'ThrowStatement', 'SwitchStatement', 'SwitchCase',
  'LabeledStatement', 'EmptyStatement', 'Identifier', 'Literal', 'TemplateLiteral', 'TemplateElement',
  'ArrayExpression', 'ObjectExpression', 'Property', 'MemberExpression', 'CallExpression', 'NewExpression',
  'UnaryExpression', 'BinaryExpression', 'LogicalExpression', 'ConditionalExpression',
  'AssignmentExpression', 'UpdateExpression', 'SequenceExpression', 'ThisExpression', 'RestElement',
]);
const GLOBALS = new Set([
  'Object', 'Array', 'String', 'Number', 'Boolean', 'Math', 'JSON', 'RegExp', 'Date', 'Error', 'TypeError',
  'RangeError', 'SyntaxError', 'ReferenceError', 'URIError', 'Buffer', 'console', 'encodeURIComponent',
  'decodeURIComponent', 'encodeURI', 'decodeURI', 'parseInt', 'parseFloat', 'isNaN', 'isFinite',
  'undefined', 'NaN', 'Infinity',
]);
const REGEXP_FLAGS = /^[gim]*$/;
const ES5_OPERATORS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '>>>=', '|=', '^=', '&=', '&&', '||']);

function lint(code) {
  const problems = [];
  let ast;
  try {
    ast = acorn.parse(code, { ecmaVersion: 2020, sourceType: 'script', locations: true });
  } catch (error) {
    return [`syntax: ${error.message}`];
  }
  const at = (node) => `line ${node.loc.start.line}`;
  const declared = new Set();
  const referenced = [];
  walk.fullAncestor(ast, (node, _state, ancestors) => {
    const parent = ancestors[ancestors.length - 2];
    if (!NODE_TYPES.has(node.type)) problems.push(`${at(node)}: ${node.type} is not in the runtime 2.0 feature list`);
    if ((node.type.startsWith('Function') || node.type === 'ArrowFunctionExpression') && (node.async || node.generator)) {
      problems.push(`${at(node)}: async functions and generators are not used here`);
    }
    if ((node.type === 'MemberExpression' || node.type === 'CallExpression') && node.optional) {
      problems.push(`${at(node)}: optional chaining is not in the runtime 2.0 feature list`);
    }
    if (node.type === 'Property' && (node.shorthand || node.computed || node.method || node.kind !== 'init')) {
      problems.push(`${at(node)}: only plain "key: value" object properties are allowed`);
    }
    if (node.type === 'LogicalExpression' && !ES5_OPERATORS.has(node.operator)) problems.push(`${at(node)}: operator ${node.operator}`);
    if (node.type === 'AssignmentExpression' && !ES5_OPERATORS.has(node.operator)) problems.push(`${at(node)}: operator ${node.operator}`);
    if (node.type === 'BinaryExpression' && node.operator === '**') problems.push(`${at(node)}: operator **`);
    if (node.type === 'Literal' && node.regex && !REGEXP_FLAGS.test(node.regex.flags)) {
      problems.push(`${at(node)}: regular expression flags ${node.regex.flags}`);
    }
    if (node.type === 'Literal' && typeof node.value === 'bigint') problems.push(`${at(node)}: BigInt literal`);
    if (node.type === 'CatchClause' && !node.param) problems.push(`${at(node)}: catch without a binding`);
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier') declared.add(node.id.name);
    if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') && node.id) declared.add(node.id.name);
    if (node.type === 'CatchClause' && node.param && node.param.type === 'Identifier') declared.add(node.param.name);
    if (node.type.includes('Function')) {
      for (const param of node.params) {
        const name = param.type === 'RestElement' ? param.argument : param;
        if (name.type === 'Identifier') declared.add(name.name);
      }
    }
    if (node.type !== 'Identifier' || !parent) return;
    if (parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return;
    if (parent.type === 'Property' && parent.key === node && !parent.computed) return;
    if (['LabeledStatement', 'BreakStatement', 'ContinueStatement'].includes(parent.type)) return;
    referenced.push(node);
  });
  for (const node of referenced) {
    if (!declared.has(node.name) && !GLOBALS.has(node.name)) {
      problems.push(`${at(node)}: ${node.name} is not a global of the CloudFront Functions runtime`);
    }
  }
  const top = ast.body.find((node) => node.type === 'FunctionDeclaration' && node.id.name === 'handler');
  if (!top) problems.push('no top-level function handler(event)');
  return problems;
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const problems = lint(Buffer.concat(chunks).toString('utf8'));
  for (const problem of problems) process.stdout.write(problem + '\n');
  process.exitCode = problems.length ? 1 : 0;
});
