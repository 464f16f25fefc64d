/**
 * The public API of the `refinery` package: what a stage author imports
 * (`import { textFilter, type Doc } from 'refinery'`; docs/writing-a-stage.md). Only the stage
 * contract and its helpers; the framework's internals stay private.
 */
export type { Doc } from './doc.js';
export type { Drop, FilterTools, Stage, StageContext, StageModule, StepResult, Verdict } from './stage.js';
export { dropFor, isDrop, textFilter } from './stage.js';
export type { OptionRanges, OptionRule } from './options.js';
export { fraction, int, num, oneOf } from './options.js';
