import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_META_PROMPT } from '../../src/prompts/metaprompt.js';
import { parseTags } from '../../src/format/tags.js';
import {
    PREDEFINED, PresetError, MAX_NAME_CHARS, MAX_TEXT_CHARS, normaliseStore, listPresets, getPreset, selectedPreset,
    isPredefined, savePreset, saveAsPreset, deletePreset, selectPreset, buildMetaPrompt,
} from '../../src/prompts/presets.js';

const NAI = 'NAI 4.5 Full';
const NATURAL = 'Natural language (FLUX, SDXL, DALL-E)';
const base = () => ({ selected: 'Default', custom: { Noir: 'noir {{words}}', Alpha: 'alpha' } });

/** Run fn and check it throws a PresetError with this code and a readable message. */
function refuses(fn, code) {
    assert.throws(fn, (err) => {
        assert.ok(err instanceof PresetError);
        assert.ok(err instanceof Error);
        assert.equal(err.code, code);
        assert.match(err.message, /^\S.*[.?]$/);
        return true;
    });
}

test('PREDEFINED holds the three built-ins, frozen, in order', () => {
    assert.deepEqual(PREDEFINED.map((p) => p.name), ['Default', NAI, NATURAL]);
    assert.ok(Object.isFrozen(PREDEFINED));
    assert.ok(PREDEFINED.every((p) => Object.isFrozen(p)));
    assert.equal(PREDEFINED[0].text, DEFAULT_META_PROMPT);
    for (const p of PREDEFINED) {
        assert.ok(p.description.trim(), p.name);
        assert.match(p.text, /\{\{words\}\}/, p.name);
        assert.match(p.text, /<img-prompt="/, p.name);
        // The examples in the text must be well-formed tags, since models copy them.
        assert.ok(parseTags(p.text).length >= 1, p.name);
    }
});

test('the NAI preset asks for tags, one group per character and V4.5 quality tags last', () => {
    const text = PREDEFINED[1].text;
    for (const must of ['1girl', 'no humans', 'cowboy shot', 'one group after the other', 'double quotes']) {
        assert.ok(text.includes(must), must);
    }
    // NovelAI's own quality toggle is off in SillyTavern's requests: the model ends with V4.5's.
    assert.match(text, /quality tags exactly as written here: very aesthetic, masterpiece, no text/);
    assert.match(text, /No other quality or score tags/);
    // SillyTavern sends NovelAI one base prompt (no character prompts), so the example is one
    // comma-separated list: the shared scene, then each character's group.
    const example = parseTags(text).map((t) => t.prompt).find((p) => p.startsWith('1girl, 1boy'));
    assert.ok(example && !example.includes('|'));
    assert.ok(example.indexOf(', girl, ') < example.indexOf(', boy, '));
    assert.ok(example.endsWith(', very aesthetic, masterpiece, no text'));
});

test('the natural-language preset asks for prose, not tags', () => {
    const text = PREDEFINED[2].text;
    assert.match(text, /one or two vivid, concrete sentences/);
    assert.match(text, /no tag lists/);
    assert.match(text, /No double quotes/);
});

test('isPredefined ignores case and surrounding spaces', () => {
    assert.equal(isPredefined('Default'), true);
    assert.equal(isPredefined('  default '), true);
    assert.equal(isPredefined('nai 4.5 full'), true);
    assert.equal(isPredefined('Noir'), false);
    assert.equal(isPredefined(/** @type {any} */ (null)), false);
});

test('normaliseStore: nothing stored is a quiet first run', () => {
    for (const raw of [undefined, null]) {
        assert.deepEqual(normaliseStore(raw), { store: { selected: 'Default', custom: {} }, problems: [] });
    }
});

test('normaliseStore: garbage resets with a problem', () => {
    for (const raw of ['presets', 42, true, [], [{ selected: 'x' }]]) {
        const { store, problems } = normaliseStore(raw);
        assert.deepEqual(store, { selected: 'Default', custom: {} });
        assert.equal(problems.length, 1);
    }
    const { store, problems } = normaliseStore({ selected: 'Default', custom: ['a'] });
    assert.deepEqual(store, { selected: 'Default', custom: {} });
    assert.equal(problems.length, 1);
});

test('normaliseStore drops bad custom entries, reporting each', () => {
    const long = 'x'.repeat(MAX_TEXT_CHARS + 5);
    const raw = {
        selected: 'Keep',
        custom: {
            Keep: 'keep me',
            '  Padded  ': 'padded',
            '': 'no name',
            '   ': 'blank name',
            ['n'.repeat(MAX_NAME_CHARS + 1)]: 'long name',
            'two\nlines': 'control',
            DEFAULT: 'shadows a built-in',
            'nai 4.5 full': 'shadows a built-in',
            Number: 5,
            Nothing: null,
            Blank: '  ',
            keep: 'case duplicate',
            Long: long,
        },
    };
    const before = structuredClone(raw);
    const { store, problems } = normaliseStore(raw);
    assert.deepEqual(store, { selected: 'Keep', custom: { Keep: 'keep me', Padded: 'padded', Long: long.slice(0, MAX_TEXT_CHARS) } });
    assert.equal(problems.length, 11);
    assert.ok(problems.some((p) => p.includes('“DEFAULT”')));
    assert.ok(problems.some((p) => p.includes('“Long”') && p.includes('shortened')));
    assert.deepEqual(raw, before);
});

test('normaliseStore repairs the selection', () => {
    let r = normaliseStore({ selected: 'Gone', custom: {} });
    assert.equal(r.store.selected, 'Default');
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /“Gone”/);
    r = normaliseStore({ selected: 7, custom: {} });
    assert.equal(r.store.selected, 'Default');
    assert.equal(r.problems.length, 1);
    r = normaliseStore({ custom: { Mine: 'm' } });
    assert.deepEqual(r, { store: { selected: 'Default', custom: { Mine: 'm' } }, problems: [] });
    r = normaliseStore({ selected: 'nai 4.5 FULL' });
    assert.deepEqual(r, { store: { selected: NAI, custom: {} }, problems: [] });
    // A selection pointing at an entry that was itself dropped falls back too.
    r = normaliseStore({ selected: 'Bad', custom: { Bad: 3 } });
    assert.equal(r.store.selected, 'Default');
    assert.equal(r.problems.length, 2);
});

test('normaliseStore keeps a "__proto__" name as plain data', () => {
    const { store } = normaliseStore(JSON.parse('{"selected":"__proto__","custom":{"__proto__":"p"}}'));
    assert.equal(Object.getPrototypeOf(store.custom), Object.prototype);
    assert.ok(Object.hasOwn(store.custom, '__proto__'));
    assert.equal(store.selected, '__proto__');
    assert.equal(selectedPreset(store).text, 'p');
});

test('listPresets: built-ins first, then custom sorted by name', () => {
    const list = listPresets({ selected: 'Default', custom: { zeta: 'z', Beta: 'b', alpha: 'a' } });
    assert.deepEqual(list.map((p) => p.name), ['Default', NAI, NATURAL, 'alpha', 'Beta', 'zeta']);
    assert.deepEqual(list.map((p) => p.readOnly), [true, true, true, false, false, false]);
    assert.equal(list[1].description, PREDEFINED[1].description);
    assert.deepEqual(list[3], { name: 'alpha', text: 'a', readOnly: false });
});

test('getPreset and selectedPreset', () => {
    const store = base();
    assert.deepEqual(getPreset(store, 'Noir'), { name: 'Noir', text: 'noir {{words}}', readOnly: false });
    assert.equal(getPreset(store, 'noir').name, 'Noir');
    assert.equal(getPreset(store, NAI).readOnly, true);
    assert.equal(getPreset(store, 'Missing'), null);
    assert.equal(selectedPreset(store).name, 'Default');
    assert.equal(selectedPreset({ selected: 'Noir', custom: store.custom }).name, 'Noir');
    assert.equal(selectedPreset({ selected: 'Gone', custom: {} }).name, 'Default');
});

test('savePreset overwrites a custom preset only', () => {
    const store = base();
    const before = structuredClone(store);
    const next = savePreset(store, 'noir', 'darker');
    assert.deepEqual(next, { selected: 'Default', custom: { Noir: 'darker', Alpha: 'alpha' } });
    assert.deepEqual(store, before);
    refuses(() => savePreset(store, 'Default', 'x'), 'read-only');
    refuses(() => savePreset(store, ' nai 4.5 full ', 'x'), 'read-only');
    refuses(() => savePreset(store, 'Missing', 'x'), 'not-found');
    refuses(() => savePreset(store, 'Noir', '  \n'), 'empty');
    refuses(() => savePreset(store, 'Noir', 'x'.repeat(MAX_TEXT_CHARS + 1)), 'too-long');
    assert.deepEqual(store, before);
});

test('the read-only message points to Save As', () => {
    assert.throws(() => savePreset(base(), 'Default', 'x'), {
        message: '“Default” is a built-in preset and cannot be changed. Use Save As to make your own copy.',
    });
});

test('saveAsPreset creates and selects a trimmed name', () => {
    const store = base();
    const before = structuredClone(store);
    const next = saveAsPreset(store, '  Sketchy  ', 'sketch {{words}}');
    assert.deepEqual(next, { selected: 'Sketchy', custom: { Noir: 'noir {{words}}', Alpha: 'alpha', Sketchy: 'sketch {{words}}' } });
    assert.deepEqual(store, before);
});

test('saveAsPreset refusals', () => {
    const store = base();
    const before = structuredClone(store);
    refuses(() => saveAsPreset(store, '', 'x'), 'invalid-name');
    refuses(() => saveAsPreset(store, '   ', 'x'), 'invalid-name');
    refuses(() => saveAsPreset(store, 'n'.repeat(MAX_NAME_CHARS + 1), 'x'), 'invalid-name');
    refuses(() => saveAsPreset(store, 'a\nb', 'x'), 'invalid-name');
    refuses(() => saveAsPreset(store, /** @type {any} */ (undefined), 'x'), 'invalid-name');
    refuses(() => saveAsPreset(store, 'default', 'x'), 'read-only');
    refuses(() => saveAsPreset(store, NATURAL.toUpperCase(), 'x'), 'read-only');
    refuses(() => saveAsPreset(store, 'Noir', 'x'), 'exists');
    refuses(() => saveAsPreset(store, ' NOIR ', 'x'), 'exists');
    refuses(() => saveAsPreset(store, 'New', ''), 'empty');
    refuses(() => saveAsPreset(store, 'Noir', ' '), 'empty');
    refuses(() => saveAsPreset(store, 'New', 'x'.repeat(MAX_TEXT_CHARS + 1)), 'too-long');
    assert.equal(saveAsPreset(store, 'n'.repeat(MAX_NAME_CHARS), 'x').selected, 'n'.repeat(MAX_NAME_CHARS));
    assert.deepEqual(store, before);
});

test('saveAsPreset with overwrite replaces, taking the new spelling', () => {
    const store = base();
    const next = saveAsPreset(store, 'NOIR', 'new text', { overwrite: true });
    assert.deepEqual(next, { selected: 'NOIR', custom: { Alpha: 'alpha', NOIR: 'new text' } });
    assert.deepEqual(store, base());
});

test('deletePreset removes custom presets and falls back from the selection', () => {
    const store = { selected: 'Noir', custom: { Noir: 'n', Alpha: 'a' } };
    const before = structuredClone(store);
    assert.deepEqual(deletePreset(store, 'noir'), { selected: 'Default', custom: { Alpha: 'a' } });
    assert.deepEqual(deletePreset(store, 'Alpha'), { selected: 'Noir', custom: { Noir: 'n' } });
    refuses(() => deletePreset(store, 'Default'), 'read-only');
    refuses(() => deletePreset(store, NAI), 'read-only');
    refuses(() => deletePreset(store, 'Missing'), 'not-found');
    assert.deepEqual(store, before);
});

test('selectPreset selects by canonical name', () => {
    const store = base();
    assert.deepEqual(selectPreset(store, 'noir'), { selected: 'Noir', custom: base().custom });
    assert.equal(selectPreset(store, 'nai 4.5 full').selected, NAI);
    refuses(() => selectPreset(store, 'Missing'), 'not-found');
    assert.deepEqual(store, base());
});

test('buildMetaPrompt fills the cadence into the selected preset', () => {
    const def = buildMetaPrompt({ selected: 'Default', custom: {} }, 250);
    assert.match(def, /About every 250 words/);
    assert.doesNotMatch(def, /\{\{/);
    for (const p of PREDEFINED) {
        const text = buildMetaPrompt({ selected: p.name, custom: {} }, 180);
        assert.match(text, /About every 180 words/);
        assert.doesNotMatch(text, /\{\{words\}\}/);
    }
    assert.equal(buildMetaPrompt(selectPreset(base(), 'Noir'), 99), 'noir 99');
    assert.match(buildMetaPrompt({ selected: 'Gone', custom: {} }, 7), /About every 7 words/);
});

test('a full round trip: save as, edit, select, delete', () => {
    let store = normaliseStore(undefined).store;
    store = saveAsPreset(store, 'Mine', 'draw every {{words}} words');
    store = savePreset(store, 'Mine', 'paint every {{words}} words');
    assert.equal(buildMetaPrompt(store, 300), 'paint every 300 words');
    store = selectPreset(store, NAI);
    store = deletePreset(store, 'Mine');
    assert.deepEqual(store, { selected: NAI, custom: {} });
    assert.deepEqual(normaliseStore(JSON.parse(JSON.stringify(store))), { store, problems: [] });
});

test('every built-in preset has a cast block: filled with the cast, and no gap left without one', async () => {
    const { PREDEFINED, buildMetaPrompt, normaliseStore, selectPreset } = await import('../../src/prompts/presets.js');
    const { castBlock, presetStyle } = await import('../../src/prompts/cast.js');
    for (const preset of PREDEFINED) {
        assert.match(preset.text, /^\{\{cast\}\}$/m, preset.name);
        const store = selectPreset(normaliseStore(undefined).store, preset.name);
        const block = castBlock([{ id: 'a', name: 'Mara Quinn', appearance: 'short red hair, green eyes' }], { style: presetStyle(preset) });
        const withCast = buildMetaPrompt(store, 200, block);
        assert.ok(withCast.includes('- Mara Quinn: short red hair, green eyes'), preset.name);
        assert.doesNotMatch(withCast, /\{\{/);
        const without = buildMetaPrompt(store, 200, '');
        assert.doesNotMatch(without, /\{\{|\n\n\n/, preset.name);
        assert.doesNotMatch(without, /Mara/);
    }
});
