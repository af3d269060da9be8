/**
 * The application that wires every area from a `Config`.
 *
 * @module
 */
export { App, type AppOptions } from "./app.ts";
export { configureLogging } from "./logging.ts";
