// Mocha's spec reporter on the console, plus the run's counts as JSON in the file given by
// `--reporter-option output=FILE`: .ci/run adds up its tiers from these files, instead of reading the prose.
"use strict";
const fs = require("fs");
const path = require("path");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class SpecAndCounts extends Mocha.reporters.Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const file = options.reporterOption && options.reporterOption.output;
    const failures = [];
    runner.on(EVENT_TEST_FAIL, (test, err) =>
      failures.push({ title: test.fullTitle(), message: String(err && err.message) }),
    );
    runner.once(EVENT_RUN_END, () => {
      if (!file) return;
      const { passes, failures: failed, pending, tests, duration } = this.stats;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(
        file,
        JSON.stringify({ passes, failures: failed, pending, tests, duration, failed: failures }) + "\n",
      );
    });
  }
}

module.exports = SpecAndCounts;
