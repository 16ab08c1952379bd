/**
 * The manager's public entry point for the CLI's `manager start` and `lab` commands, which
 * run manager code in the CLI's process. Every other command is a client of the API and
 * imports nothing from src/manager. The CLI loads this module lazily, so `matrix ps` does
 * not pay for loading the manager.
 */
export { runManager } from './main.ts';
export { Lab } from './lab/lab.ts';
export { labPki } from './lab/lab-pki.ts';
