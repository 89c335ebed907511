// @ts-check
/**
 * Every slash command of the extension, for STscript: /inline-images (/iig), /iig-gallery,
 * /iig-check, /iig-appearance and /iig-export. Each calls the same code as its button in the drawer or
 * the chat; errors thrown here reach the user as SillyTavern shows a command's errors.
 */
import { ctx, t, tk } from '../st.js';
import { log } from '../log.js';
import { normaliseAliases } from '../prompts/cast-text.js';
import { currentCast, memberNamed, saveLook } from './looks.js';
import { checkSetup, resultsText } from './setup-check.js';
import { exportAndTell } from './export.js';

/**
 * @typedef {object} CommandDeps
 * @property {import('./manual.js').ManualGeneration} manual
 * @property {import('./picture-actions.js').PictureActions} pictures
 * @property {() => import('../types').Settings} settings
 * @property {{settings: () => import('../types').Settings, busy: () => boolean}} check what Check setup needs
 */

const MODES = ['replace', 'append'];

/** @param {CommandDeps} deps */
export function registerCommands(deps) {
    const c = ctx();
    const { SlashCommandParser, SlashCommand, SlashCommandArgument, SlashCommandNamedArgument, ARGUMENT_TYPE } = c;
    if (!SlashCommandParser?.addCommandObject || !SlashCommand?.fromProps) return log.warn('slash commands unavailable');
    const add = (/** @type {Record<string, any>} */ props) => SlashCommandParser.addCommandObject(SlashCommand.fromProps(props));
    const named = (/** @type {Record<string, any>} */ props) => SlashCommandNamedArgument.fromProps(props);
    const unnamed = (/** @type {Record<string, any>} */ props) => SlashCommandArgument.fromProps(props);
    const example = (/** @type {string} */ code) => `<div>${tk('iig_example', 'Example:')} <pre><code>${code}</code></pre></div>`;

    add({
        name: 'inline-images',
        aliases: ['iig'],
        callback: (/** @type {Record<string, any>} */ args, /** @type {string} */ value) => illustrate(deps, args, value),
        returns: t`the number of images added to the message`,
        namedArgumentList: [named({
            name: 'mode', description: t`replace: remove this message's generated images and draw every prompt again; append: draw only prompts without an image. Default: the setting "Default manual mode".`,
            // Plain strings: SillyTavern wraps them (getContext() has no SlashCommandEnumValue before 1.17.0).
            typeList: [ARGUMENT_TYPE.STRING], enumList: MODES, forceEnum: true,
        })],
        unnamedArgumentList: [unnamed({ description: t`the message id to illustrate (default: the last message)`, typeList: [ARGUMENT_TYPE.NUMBER] })],
        helpString: `<div>${t`Generates the images of a message's image prompts with Inline Images and waits until they are done. Returns how many were added.`}</div>${example('/inline-images mode=replace 3')}`,
    });
    add({
        name: 'iig-gallery',
        callback: async () => String(deps.pictures.openGallery().querySelectorAll('.iig-gallery-thumb').length),
        returns: t`the number of pictures in the gallery`,
        helpString: `<div>${t`Opens the gallery of every Inline Images picture in this chat.`}</div>`,
    });
    add({
        name: 'iig-check',
        callback: async () => resultsText(await checkSetup(deps.check)),
        returns: t`the results, one line for each check`,
        helpString: `<div>${t`Checks the Inline Images setup: Image Generation, a test picture, the instructions, recent replies and conflicting scripts. Shows the results and returns them as text.`}</div>`,
    });
    add({
        name: 'iig-export',
        callback: async (/** @type {Record<string, any>} */ args) => (await exportAndTell(exportOptions(args))).file,
        returns: t`the name of the file downloaded`,
        namedArgumentList: [
            named({ name: 'format', description: t`html: one web page with the pictures in it; epub: a book`, typeList: [ARGUMENT_TYPE.STRING], enumList: ['html', 'epub'], forceEnum: true }),
            named({ name: 'user', description: t`false: only the story, without your own messages (default: true)`, typeList: [ARGUMENT_TYPE.BOOLEAN] }),
            named({ name: 'captions', description: t`true: each picture's prompt as a caption under it (default: false)`, typeList: [ARGUMENT_TYPE.BOOLEAN] }),
        ],
        helpString: `<div>${t`Exports this chat as you read it now, with its pictures, as a web page or an EPUB book, and downloads the file.`}</div>${example('/iig-export format=epub user=false')}`,
    });
    add({
        name: 'iig-appearance',
        callback: appearance,
        returns: t`the appearance in use (after setting it, as stored)`,
        namedArgumentList: [
            named({ name: 'name', description: t`who: a character of this chat (name or alias), or "persona" (default: the chat's character)`, typeList: [ARGUMENT_TYPE.STRING] }),
            named({ name: 'aliases', description: t`set the names they go by, separated by commas`, typeList: [ARGUMENT_TYPE.STRING] }),
            named({ name: 'avoid', description: t`set what their pictures must not show (added to the negative prompt of pictures naming them; empty: nothing)`, typeList: [ARGUMENT_TYPE.STRING] }),
            named({ name: 'reset', description: t`true: remove the appearance, aliases and avoid text set here (Image Generation's character prompt applies again)`, typeList: [ARGUMENT_TYPE.BOOLEAN] }),
        ],
        unnamedArgumentList: [unnamed({ description: t`the appearance to set (none: return the current one)`, typeList: [ARGUMENT_TYPE.STRING] })],
        helpString: `<div>${t`Gets or sets how a character of this chat looks in Inline Images pictures.`}</div>${example('/iig-appearance name=Seraphina long silver hair, green eyes')}`,
    });
}

/**
 * `/inline-images [mode=replace|append] [id]`
 * @param {CommandDeps} deps @param {Record<string, any>} args @param {string} value
 */
async function illustrate(deps, args, value) {
    const chat = ctx().chat;
    const raw = String(value ?? '').trim();
    const id = raw === '' ? chat.length - 1 : Number(raw);
    const mode = String(args.mode || deps.settings().manualMode).toLowerCase();
    if (!Number.isInteger(id) || id < 0) throw new Error(t`/inline-images: "${raw}" is not a message id.`);
    if (!MODES.includes(mode)) throw new Error(t`/inline-images: the mode must be replace or append, not "${mode}".`);
    const { drawn } = await deps.manual.run(id, /** @type {'replace'|'append'} */ (mode));
    return String(drawn);
}

/**
 * `/iig-appearance name=Mara [avoid="..."] [text]`: read (no text) or set an appearance (and
 * avoid text) of the open chat's cast.
 * @param {Record<string, any>} args @param {string} value
 */
async function appearance(args, value) {
    const who = String(args.name ?? '').trim();
    const member = who ? memberNamed(who) : currentCast().find((m) => m.kind === 'character') ?? null;
    if (!member) throw new Error(t`/iig-appearance: nobody called "${who}" is in this chat.`);
    const text = String(value ?? '').trim();
    if (flag(args.reset, false)) {
        await saveLook(member, { appearance: '', aliases: [], avoid: '' });
        return currentCast().find((m) => m.id === member.id)?.appearance ?? '';
    }
    const aliasesGiven = args.aliases !== undefined;
    const avoidGiven = args.avoid !== undefined;
    if (!text && !aliasesGiven && !avoidGiven) return member.appearance;
    const stored = await saveLook(member, {
        appearance: text || (member.source === 'image-generation' ? '' : member.appearance),
        aliases: aliasesGiven ? normaliseAliases(String(args.aliases)) : member.aliases,
        ...(avoidGiven ? { avoid: String(args.avoid) } : {}),
    });
    return stored.appearance;
}

/** @param {unknown} value @param {boolean} fallback */
const flag = (value, fallback) => (value === undefined || value === '' ? fallback : ['true', 'on', '1', 'yes'].includes(String(value).toLowerCase()));

/**
 * `/iig-export [format=html|epub] [user=true|false] [captions=true|false]`
 * @param {Record<string, any>} args @returns {import('./export.js').ExportOptions}
 */
function exportOptions(args) {
    const format = String(args.format || 'html').toLowerCase();
    if (format !== 'html' && format !== 'epub') throw new Error(t`/iig-export: the format must be html or epub, not "${format}".`);
    return { format, withUser: flag(args.user, true), captions: flag(args.captions, false) };
}
