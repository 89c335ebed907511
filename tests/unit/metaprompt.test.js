import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_META_PROMPT, SHAPE_RULE, fillPlaceholders, injectMetaPrompt } from '../../src/prompts/metaprompt.js';
import { PREDEFINED } from '../../src/prompts/presets.js';
import { parseTags } from '../../src/format/tags.js';

test('the default prompt asks for the exact tag form and uses the words placeholder', () => {
    assert.match(DEFAULT_META_PROMPT, /<img-prompt="/);
    assert.match(DEFAULT_META_PROMPT, /\{\{words\}\}/);
    const filled = fillPlaceholders(DEFAULT_META_PROMPT, { words: 250 });
    assert.match(filled, /About every 250 words/);
    // {{cast}} is left for the cast block (buildMetaPrompt fills it, or removes its line).
    assert.doesNotMatch(filled.replace('{{cast}}', ''), /\{\{/);
    // Its own examples are well-formed tags, so a model copying the form gets it right.
    assert.deepEqual(parseTags(filled).map((t) => t.shape), ['', 'landscape']);
});

test('the shape rule is there while the model may choose shapes, and its line goes when not', () => {
    for (const preset of PREDEFINED) {
        const on = fillPlaceholders(preset.text, { words: 250, shapes: true });
        const off = fillPlaceholders(preset.text, { words: 250, shapes: false });
        assert.ok(on.includes(SHAPE_RULE), preset.name);
        assert.ok(!off.includes('shape='), preset.name);
        assert.doesNotMatch(off, /\n\n\n/, `${preset.name}: no empty line is left where the rule was`);
        assert.equal(parseTags(off).length, parseTags(on).length - 1, preset.name);
    }
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

