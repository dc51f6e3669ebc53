// Beat-level summaries: median beats per lead with attributions and TLC per beat phase.
export { beatSummary, phaseLabels, phaseSharesMarkdown, BEAT_PHASES, type BeatPhase, type BeatSummary, type BeatSummaryInput, type BeatMapInput } from './beats.js';
