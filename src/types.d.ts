// Shared shapes for the extension's JSDoc types (checked by `tsc --noEmit` with checkJs).

export interface Settings {
    enabled: boolean;
    wordInterval: number;
    generateWhileStreaming: boolean;
    maxConcurrent: number;
    minIntervalMs: number;
    timeoutSeconds: number;
    /** How often a failed picture is tried again by itself (0-5). */
    retries: number;
    /** Who writes the image prompts: the story model (inline), the prompt writer after each
     * reply (separate), or the writer only for a long reply without tags (auto). */
    promptMode: 'inline' | 'separate' | 'auto';
    /** auto: a reply of at least this many words without tags gets the prompt writer. */
    writerMinWords: number;
    /** Messages before the reply that the prompt writer sees. */
    writerContext: number;
    /** Connection profile (name) for the prompt writer; '' = the current connection. */
    writerProfile: string;
    /** Pictures drawn by themselves per reply (0: no limit); tags past it wait for a click. */
    maxPerReply: number;
    /** The model may give a tag a shape (portrait, landscape, square), drawn at that orientation. */
    modelShapes: boolean;
    /** Requests to Image Generation per local calendar day, across chats (0: no limit); at it,
     * pictures are not drawn by themselves and their tags wait for a click. */
    dailyLimit: number;
    /** What the manual button and slash command do unless told otherwise. */
    manualMode: 'append' | 'replace';
    /** Largest width of a picture, in percent of the message width. */
    imageWidth: number;
    logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
    /** The lorebook (World Info file) whose entries are looks of places and things; '' = none. */
    looksLorebook: string;
    presets: PresetStore;
    /** Custom meta-prompt presets' negative prompts: preset name -> text (built-ins carry theirs). */
    presetNegatives: Record<string, string>;
    /** The prompt writer's instructions: built-ins of writer-prompt.js and the user's own. */
    writerPresets: PresetStore;
}

export interface PresetStore {
    selected: string;
    /** Custom preset name -> meta-prompt text. */
    custom: Record<string, string>;
}

export interface FieldSpec {
    type: 'bool' | 'int' | 'number' | 'enum' | 'string';
    default: any;
    min?: number;
    max?: number;
    values?: string[];
    maxLength?: number;
}

/** held: drawn by itself at the daily limit, it waits for a click (it only shows its box). */
export type JobStatus = 'pending' | 'ready' | 'failed' | 'held' | 'committed' | 'dropped';

/** The daily budget as jobs use it (picture/budget.js): slots for requests started or reserved. */
export interface BudgetGate {
    /** Hold a slot for `owner` unless the day's requests and the slots held reach `limit` (0: none). */
    reserve(owner: object, limit: number): boolean;
    /** The slot of `from` passes to `to`; false when `from` held none. */
    pass(from: object, to: object): boolean;
    release(owner: object): void;
}

/** Which message a picture is for, as SillyTavern saves it (see picture/identity.js). */
export interface MessageIdentity {
    /** Where the message was in its chat (a hint: indexes shift when messages are deleted). */
    index: number;
    swipeId: number;
    sendDate: string;
    name: string;
    isUser: boolean;
}

/** What was sent to Image Generation for a tag: the prompt with the cast's looks and the chat
 * style, the chat's seed (null: Image Generation's own), the negative prompt (the preset's,
 * the chat's and the named characters' avoid texts; '' or missing: none of ours), and the size
 * of a shaped picture (none: Image Generation's own size). */
export interface Sent {
    prompt: string;
    seed: number | null;
    negative?: string;
    width?: number;
    height?: number;
}

/**
 * One picture, from its tag to its message: who it is for and what it became. The same record
 * is a job's while it is drawn, is what gets written into the message, and is what is kept
 * (in the extension settings) for a chat that is not open, read back after a reload.
 */
export interface PictureRecord {
    chatId: string;
    identity: MessageIdentity;
    swipeId: number;
    /** The tag's position among the swipe's tags when it was drawn (a hint: the prompt is its identity). */
    ordinal: number;
    prompt: string;
    sent?: Sent;
    /** The picture's file, once drawn. */
    src?: string;
    /** The picture this one replaces (its file holds another picture now). */
    replaceSrc?: string;
    /** When it was kept for a chat not open (ms since epoch). */
    at?: number;
}

/** A picture being drawn: its record, the live message object and the attempts. */
export interface Job extends PictureRecord {
    id: number;
    /** The message object itself: it survives index shifts and is gone when deleted. */
    message: ChatMessage;
    status: JobStatus;
    /** The attempt running or last run (1-based), and how many are allowed. */
    attempt: number;
    attempts: number;
    /** How often this tag was drawn again because another picture overwrote its file. */
    redraws: number;
    /** How often it was drawn again because Image Generation discarded it on a chat switch. */
    redrawsForSwitch: number;
    error?: string;
    /** Drawn by itself (a reply's tag), not by the user's choice: held at the daily limit. */
    auto?: boolean;
    controller: AbortController;
    /** Settles when the job is committed, failed or dropped. */
    done?: Promise<void>;
}

/** What the display shows for one tag of the swipe on screen. */
export interface TagState {
    /** over: past "Max pictures per reply"; limit: held back by the daily limit. */
    status: 'pending' | 'ready' | 'failed' | 'over' | 'limit';
    src?: string;
    sent?: string;
    negative?: string;
    error?: string;
    attempt?: number;
    attempts?: number;
}

export interface ChatMessage {
    mes: string;
    is_user?: boolean;
    is_system?: boolean;
    name?: string;
    swipe_id?: number;
    swipes?: string[];
    send_date?: string | number;
    swipe_info?: Array<{ send_date?: string | number } | undefined>;
    extra?: Record<string, any>;
}
