import test from 'node:test';
import assert from 'node:assert/strict';
import {
    SAMPLE_REPLY, conflictsFinding, imageGenerationFinding, instructionsFinding, recentRepliesFinding, survives,
} from '../../src/features/checks.js';

const words = (n, extra = '') => `${'word '.repeat(n)}${extra}`;

test('Image Generation: off, not loaded, no source, no URL, or ready', () => {
    const sd = { auto_url: 'http://127.0.0.1:7860' };
    assert.equal(imageGenerationFinding({ disabled: true, loaded: false, source: 'auto', settings: sd }).code, 'sd-disabled');
    assert.equal(imageGenerationFinding({ disabled: false, loaded: false, source: 'auto', settings: sd }).code, 'sd-missing');
    assert.equal(imageGenerationFinding({ disabled: false, loaded: true, source: '', settings: sd }).code, 'sd-no-source');
    assert.deepEqual(imageGenerationFinding({ disabled: false, loaded: true, source: 'auto', settings: { auto_url: ' ' } }), { status: 'fail', code: 'sd-no-url', values: { source: 'auto' } });
    assert.equal(imageGenerationFinding({ disabled: false, loaded: true, source: 'auto', settings: sd }).status, 'ok');
    // Sources with a key instead of a URL are left to the test picture.
    assert.equal(imageGenerationFinding({ disabled: false, loaded: true, source: 'novel', settings: {} }).status, 'ok');
    assert.equal(imageGenerationFinding({ disabled: false, loaded: true, source: 'comfy', settings: { comfy_type: 'runpod_serverless' } }).status, 'ok');
});

test('Instructions: off, a preset without the tag form, or which way they go', () => {
    const text = 'Write <img-prompt="a picture">.';
    assert.equal(instructionsFinding({ enabled: false, api: 'openai', presetName: 'Default', presetText: text }).status, 'fail');
    assert.equal(instructionsFinding({ enabled: true, api: 'openai', presetName: 'Mine', presetText: 'no example' }).code, 'instructions-no-example');
    assert.equal(instructionsFinding({ enabled: true, api: 'openai', presetName: 'Default', presetText: text }).code, 'instructions-chat');
    assert.equal(instructionsFinding({ enabled: true, api: 'textgenerationwebui', presetName: 'Default', presetText: text }).code, 'instructions-text');
});

test('Recent replies: too few long ones, none with tags, or some', () => {
    const long = (tags = '') => ({ mes: words(160, tags) });
    assert.equal(recentRepliesFinding([long(), { mes: 'short' }, long()]).code, 'replies-too-few');
    const untagged = [long('<img-prompt="x">'), long(), { mes: words(200), is_user: true }, long(), long()];
    assert.equal(recentRepliesFinding(untagged).code, 'replies-no-tags', 'only the last three long replies count');
    const tagged = [long(), long(), long('<img-prompt="a fox">')];
    assert.deepEqual(recentRepliesFinding(tagged), { status: 'ok', code: 'replies-ok', values: { with: 1, count: 3 } });
    // Markup and tags are not words.
    assert.equal(recentRepliesFinding([{ mes: `${'<b>x</b> '.repeat(10)}${words(100)}` }, long(), long()]).code, 'replies-too-few');
});

test('Conflicts: a script that strips tags or pictures is named; the display is checked too', () => {
    assert.deepEqual(survives(SAMPLE_REPLY), { tag: true, image: true });
    assert.deepEqual(survives(SAMPLE_REPLY.replace(/<img-prompt="[^"]*">/g, '')), { tag: false, image: true });
    assert.deepEqual(survives(SAMPLE_REPLY.replace(/<img [^>]*>/g, '')), { tag: true, image: false });
    assert.deepEqual(conflictsFinding([{ name: 'Strip tags', tag: false, image: true }, { name: 'Harmless', tag: true, image: true }], { image: true }),
        { status: 'warn', code: 'conflict-regex', values: { names: 'Strip tags' } });
    assert.equal(conflictsFinding([], { image: false }).code, 'conflict-display');
    assert.equal(conflictsFinding([{ name: 'Harmless', tag: true, image: true }], null).code, 'conflicts-none');
});
