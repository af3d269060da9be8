/**
 * The application that wires every area from a `Config`, and the command line around it.
 *
 * @module
 */
export { App, type AppOptions } from "./app.ts";
export {
  EXIT_START_FAILED,
  EXIT_USAGE,
  runCli,
  startFromArgs,
  type StartOptions,
  type StartResult,
} from "./cli.ts";
export { configureLogging, jsonLineFormatter } from "./logging.ts";
export { VERSION } from "./version.ts";
