import test from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings, defaultSettings, SETTINGS_VERSION, MIGRATED_PRESET_NAME } from '../../src/settings.js';

test('nothing stored gives the defaults with the current version', () => {
    const { settings, problems } = loadSettings(undefined);
    assert.deepEqual(problems, []);
    assert.equal(settings.version, SETTINGS_VERSION);
    assert.equal(settings.wordInterval, 250);
    assert.deepEqual({ ...settings, version: undefined }, { ...defaultSettings(), version: undefined });
});

test('values out of range are clamped and reported', () => {
    const { settings, problems } = loadSettings({ version: 1, maxConcurrent: 9, wordInterval: 3, minIntervalMs: -5 });
    assert.equal(settings.maxConcurrent, 5);
    assert.equal(settings.wordInterval, 50);
    assert.equal(settings.minIntervalMs, 0);
    assert.equal(problems.length, 3);
    assert.ok(problems.some((p) => /^maxConcurrent: 9 is outside 1..5/.test(p)), problems.join('; '));
});

test('corrupt values are repaired to defaults, never thrown', () => {
    const { settings, problems } = loadSettings({ version: 2, enabled: 'yes', logLevel: 'LOUD', wordInterval: 'abc', manualMode: 42 });
    assert.equal(settings.enabled, true);
    assert.equal(settings.logLevel, 'INFO');
    assert.equal(settings.wordInterval, 250);
    assert.equal(settings.manualMode, 'append');
    assert.equal(problems.length, 4);
});

test('numeric strings are accepted and rounded for integer fields', () => {
    const { settings, problems } = loadSettings({ wordInterval: '300', timeoutSeconds: 60.6 });
    assert.equal(settings.wordInterval, 300);
    assert.equal(settings.timeoutSeconds, 61);
    assert.equal(problems.length, 1); // 60.6 was not an integer
});

test('a stored non-object is replaced by defaults with a warning', () => {
    for (const junk of ['garbage', 7, [1, 2]]) {
        const { settings, problems } = loadSettings(junk);
        assert.equal(settings.enabled, true);
        assert.equal(problems.length, 1);
    }
});

test('settings from a newer version keep known fields', () => {
    const { settings, problems } = loadSettings({ version: 99, wordInterval: 400, futureThing: 1 });
    assert.equal(settings.wordInterval, 400);
    assert.match(problems[0], /newer version/);
    assert.equal(/** @type {any} */ (settings).futureThing, undefined);
});

test('version 1 custom meta-prompt is migrated into a selected custom preset', () => {
    const { settings, problems } = loadSettings({ version: 1, metaPrompt: 'Draw every {{words}} words.', wordInterval: 300 });
    assert.deepEqual(problems, []);
    assert.equal(settings.version, SETTINGS_VERSION);
    assert.equal(settings.presets.selected, MIGRATED_PRESET_NAME);
    assert.equal(settings.presets.custom[MIGRATED_PRESET_NAME], 'Draw every {{words}} words.');
    assert.equal(settings.wordInterval, 300);
    assert.equal('metaPrompt' in settings, false);
});

test('version 1 without a custom meta-prompt selects the Default preset', () => {
    const { settings } = loadSettings({ version: 1, metaPrompt: '' });
    assert.equal(settings.presets.selected, 'Default');
    assert.deepEqual(settings.presets.custom, {});
});

test('corrupt presets are repaired with a reported problem', () => {
    const { settings, problems } = loadSettings({ version: 2, presets: { selected: 'Gone', custom: { Default: 'x' } } });
    assert.equal(settings.presets.selected, 'Default');
    assert.deepEqual(settings.presets.custom, {});
    assert.ok(problems.some((p) => p.startsWith('presets:')), problems.join('; '));
});

test('the prompt writer settings: modes, limits, and its own presets repaired on their own', () => {
    const { settings, problems } = loadSettings({
        version: SETTINGS_VERSION, promptMode: 'sideways', writerMinWords: 3, maxPerReply: 99, writerProfile: 42,
        writerPresets: { selected: 'Gone', custom: { 'NAI 4.5 Full': 'clash', Mine: 'Pick {{wanted}}.' } },
    });
    assert.equal(settings.promptMode, 'inline');
    assert.equal(settings.writerMinWords, 20);
    assert.equal(settings.maxPerReply, 50);
    assert.equal(settings.writerProfile, '');
    assert.deepEqual(settings.writerPresets, { selected: 'Default', custom: { Mine: 'Pick {{wanted}}.' } });
    assert.ok(problems.some((p) => p.startsWith('prompt writer presets:') && p.includes('NAI 4.5 Full')));
    assert.ok(problems.some((p) => p.startsWith('promptMode:')));
    // The meta-prompt's presets are a separate store: a writer preset name is no clash there.
    assert.deepEqual(defaultSettings().writerPresets, { selected: 'Default', custom: {} });
});
