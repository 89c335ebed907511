// composeForCast in a stand-in SillyTavern context: what a tag sends (prompt, seed, negative),
// with a character's look and avoid text, the chat's negative, the preset's, and the looks
// lorebook, read, changed, deleted. The real SillyTavern runs the same in tests/e2e/test_looks_lorebook.py.
import test from 'node:test';
import assert from 'node:assert/strict';

const toasts = /** @type {string[]} */ ([]);
/** @type {Record<string, Function[]>} */
const listeners = {};
const state = {
    names: ['World'],
    /** @type {any} */
    world: { entries: {
        0: { uid: 0, key: ['Rusty Anchor', 'the inn'], content: 'low beamed ceiling, smoky lanterns', disable: false },
        1: { uid: 1, key: ['Dawnblade'], content: 'slim silver sword', disable: false },
    } },
    loads: 0,
};
const context = {
    characters: [{ avatar: 'mara.png', name: 'Mara Quinn', data: { extensions: { inline_images: { appearance: 'short red hair', avoid: 'hat, glasses' } } } }],
    characterId: 0,
    chatMetadata: /** @type {any} */ ({ inline_images: { style: '', negative: 'text, watermark' } }),
    extensionSettings: {},
    getWorldInfoNames: () => [...state.names],
    loadWorldInfo: async () => { state.loads++; return structuredClone(state.world); },
    eventTypes: { APP_READY: 'app_ready', CHAT_CHANGED: 'chat_changed', WORLDINFO_UPDATED: 'worldinfo_updated' },
    eventSource: { on: (/** @type {string} */ name, /** @type {Function} */ fn) => { (listeners[name] ??= []).push(fn); } },
};
/** @type {any} */ (globalThis).SillyTavern = { getContext: () => context };
/** @type {any} */ (globalThis).toastr = { warning: (/** @type {string} */ text) => toasts.push(text) };

const { composeForCast, castForPrompt } = await import('../../src/features/looks.js');
const { watchLorebook, reloadLorebook, lorebookState } = await import('../../src/features/lorebook.js');
const { NAI_NEGATIVE } = await import('../../src/prompts/presets.js');

let chosen = 'World';
watchLorebook(() => chosen);
const DEFAULT = { selected: 'Default', custom: {} };

test('composeForCast returns the prompt, the seed and the negative', async () => {
    await reloadLorebook();
    assert.equal(lorebookState().status, 'ok');
    const named = composeForCast('Mara at the Rusty Anchor', DEFAULT);
    assert.equal(named.prompt, 'Mara Quinn: short red hair; Rusty Anchor: low beamed ceiling, smoky lanterns. Mara at the Rusty Anchor');
    assert.equal(named.seed, null);
    assert.equal(named.negative, 'text, watermark, hat, glasses', "the chat's negative, then her avoid text");
    const nobody = composeForCast('a sword on a table', DEFAULT);
    assert.deepEqual(nobody, { prompt: 'a sword on a table', seed: null, negative: 'text, watermark' });
    assert.equal(composeForCast('the Dawnblade', DEFAULT).prompt, 'Dawnblade: slim silver sword. the Dawnblade');
});

test("the selected preset's negative comes first: a built-in's default, a custom preset's own", () => {
    const nai = composeForCast('a quiet street', { selected: 'NAI 4.5 Full', custom: {} });
    assert.equal(nai.negative, NAI_NEGATIVE, 'the chat\'s "text, watermark" are in NAI\'s list already');
    assert.equal(composeForCast('Mara on a quiet street', { selected: 'NAI 4.5 Full', custom: {} }).negative, `${NAI_NEGATIVE}, hat, glasses`);
    const mine = composeForCast('Mara waves', { selected: 'Mine', custom: { Mine: 'x' } }, { Mine: 'logo' });
    assert.equal(mine.negative, 'logo, text, watermark, hat, glasses');
    context.chatMetadata = {};
    assert.equal(composeForCast('a quiet street', DEFAULT).negative, '', 'nothing of ours: no negative');
    context.chatMetadata = { inline_images: { style: '', negative: 'text, watermark' } };
});

test('the cast block lists the lorebook too', () => {
    const block = castForPrompt(DEFAULT);
    assert.match(block, /- Mara Quinn: short red hair/);
    assert.match(block, /These places and things may appear in the pictures:\n- Rusty Anchor: low beamed ceiling, smoky lanterns\n- Dawnblade: slim silver sword/);
});

test('an edit saved in SillyTavern is used at once; a deleted lorebook warns once and changes nothing else', async () => {
    state.world.entries[1].content = 'a black sword';
    for (const fn of listeners.worldinfo_updated) fn('World', structuredClone(state.world));
    assert.equal(composeForCast('the Dawnblade', DEFAULT).prompt, 'Dawnblade: a black sword. the Dawnblade');
    for (const fn of listeners.worldinfo_updated) fn('Other book', { entries: {} });
    assert.equal(lorebookState().looks.length, 2, 'another lorebook saved: ours stays');

    state.names = [];
    for (let i = 0; i < 3; i++) {
        const sent = composeForCast('Mara at the Rusty Anchor', DEFAULT);
        assert.equal(sent.prompt, 'Mara Quinn: short red hair. Mara at the Rusty Anchor', 'her look still; the inn\'s gone');
    }
    assert.equal(toasts.length, 1, toasts.join('\n'));
    assert.match(toasts[0], /"World" was not found/);
    await reloadLorebook();
    assert.equal(toasts.length, 1, 'reading it again says nothing new');

    state.names = ['World'];
    composeForCast('x', DEFAULT);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(lorebookState().status, 'ok', 'back again: read again');
    assert.match(composeForCast('the inn', DEFAULT).prompt, /^Rusty Anchor: /);
});

test('an empty lorebook warns once; none chosen adds nothing and says nothing', async () => {
    toasts.length = 0;
    const before = state.world;
    state.world = { entries: { 0: { uid: 0, key: ['Gone'], content: 'x', disable: true } } };
    await reloadLorebook();
    await reloadLorebook();
    assert.equal(lorebookState().status, 'empty');
    assert.equal(toasts.length, 1);
    assert.match(toasts[0], /no enabled entry/);
    chosen = '';
    await reloadLorebook();
    assert.equal(composeForCast('the inn', DEFAULT).prompt, 'the inn');
    assert.equal(toasts.length, 1);
    state.world = before;
});
