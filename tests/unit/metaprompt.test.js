import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_META_PROMPT, fillPlaceholders, META_MARKER, injectMetaPrompt, ensureLast, removeInjected } from '../../src/core/metaprompt.js';
import { parseTags } from '../../src/core/parser.js';

test('the default prompt asks for the exact tag form and uses the words placeholder', () => {
    assert.match(DEFAULT_META_PROMPT, /<img-prompt="/);
    assert.match(DEFAULT_META_PROMPT, /\{\{words\}\}/);
    const filled = fillPlaceholders(DEFAULT_META_PROMPT, { words: 250 });
    assert.match(filled, /About every 250 words/);
    assert.doesNotMatch(filled, /\{\{/);
    // Its own example is a well-formed tag, so a model copying the form gets it right.
    assert.equal(parseTags(filled).length, 1);
});

test('fillPlaceholders tolerates spaces and leaves other macros', () => {
    assert.equal(fillPlaceholders('every {{ words }} / {{words}} / {{WORDS}} words, {{char}}', { words: 300 }), 'every 300 / 300 / 300 words, {{char}}');
    assert.equal(fillPlaceholders('no placeholder', { words: 1 }), 'no placeholder');
});

test('META_MARKER is a fixed string', () => {
    assert.equal(META_MARKER, 'inline-images:meta');
});

test('injectMetaPrompt appends a system message and returns it', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const injected = injectMetaPrompt(messages, 'draw');
    assert.deepEqual(injected, { role: 'system', content: 'draw' });
    assert.equal(messages.at(-1), injected);
    assert.equal(messages.length, 2);
});

test('injectMetaPrompt adds nothing for a blank text', () => {
    const messages = [];
    assert.equal(injectMetaPrompt(messages, '  \n'), null);
    assert.equal(messages.length, 0);
});

test('ensureLast moves only our exact object back to the end', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const injected = injectMetaPrompt(messages, 'draw');
    assert.equal(ensureLast(messages, injected), false);
    const lookalike = { role: 'system', content: 'draw' };
    messages.push(lookalike);
    assert.equal(ensureLast(messages, injected), true);
    assert.equal(messages.at(-1), injected);
    assert.equal(messages[1], lookalike);
    assert.equal(messages.length, 3);
    assert.equal(ensureLast(messages, { role: 'system', content: 'draw' }), false, 'an equal but different object is not ours');
    assert.equal(ensureLast(messages, null), false);
});

test('removeInjected removes exactly our object', () => {
    const messages = [{ role: 'system', content: 'draw' }];
    const injected = injectMetaPrompt(messages, 'draw');
    assert.equal(removeInjected(messages, injected), true);
    assert.deepEqual(messages, [{ role: 'system', content: 'draw' }]);
    assert.equal(removeInjected(messages, injected), false);
    assert.equal(removeInjected(messages, null), false);
});
