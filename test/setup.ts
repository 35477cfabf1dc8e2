/**
 * The test suite's start-up (.mocharc.json requires it before any test file): the one explicit backend choice every
 * command and notebook makes too (lib/tf.ts initBackend), from FER_BACKEND or the default cpu-fast.
 */
import { initBackend } from "../lib/tf";

initBackend();
