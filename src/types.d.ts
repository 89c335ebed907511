// Shared shapes for the extension's JSDoc types (checked by `tsc --noEmit` with checkJs).

export interface Settings {
    enabled: boolean;
    wordInterval: number;
    generateWhileStreaming: boolean;
    maxConcurrent: number;
    minIntervalMs: number;
    timeoutSeconds: number;
    /** What the manual button and slash command do unless told otherwise. */
    manualMode: 'append' | 'replace';
    /** Largest width of a picture, in percent of the message width. */
    imageWidth: number;
    logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
    presets: PresetStore;
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

export type JobStatus = 'pending' | 'ready' | 'failed' | 'committed' | 'dropped';

/** One image to draw for one tag of one swipe of one message. */
export interface Job {
    id: number;
    chatId: string;
    /** The message object itself: it survives index shifts and is gone when deleted. */
    message: ChatMessage;
    swipeId: number;
    ordinal: number;
    prompt: string;
    status: JobStatus;
    src?: string;
    error?: string;
    controller: AbortController;
    /** Settles when the job is committed, failed or dropped. */
    done?: Promise<void>;
}

export interface ChatMessage {
    mes: string;
    is_user?: boolean;
    is_system?: boolean;
    name?: string;
    swipe_id?: number;
    swipes?: string[];
    extra?: Record<string, any>;
}
