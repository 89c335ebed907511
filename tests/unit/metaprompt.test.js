import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_META_PROMPT, fillPlaceholders, injectMetaPrompt } from '../../src/prompts/metaprompt.js';
import { parseTags } from '../../src/format/tags.js';

test('the default prompt asks for the exact tag form and uses the words placeholder', () => {
    assert.match(DEFAULT_META_PROMPT, /<img-prompt="/);
    assert.match(DEFAULT_META_PROMPT, /\{\{words\}\}/);
    const filled = fillPlaceholders(DEFAULT_META_PROMPT, { words: 250 });
    assert.match(filled, /About every 250 words/);
    // {{cast}} is left for the cast block (buildMetaPrompt fills it, or removes its line).
    assert.doesNotMatch(filled.replace('{{cast}}', ''), /\{\{/);
    // Its own example is a well-formed tag, so a model copying the form gets it right.
    assert.equal(parseTags(filled).length, 1);
});

test('fillPlaceholders tolerates spaces and leaves other macros', () => {
    assert.equal(fillPlaceholders('every {{ words }} / {{words}} / {{WORDS}} words, {{char}}', { words: 300 }), 'every 300 / 300 / 300 words, {{char}}');
    assert.equal(fillPlaceholders('no placeholder', { words: 1 }), 'no placeholder');
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

