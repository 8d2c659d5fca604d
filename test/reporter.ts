// mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", which CI
// tooling reads in any language.
import * as Mocha from 'mocha';

class SpecWithTotals extends Mocha.reporters.Spec {
	constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
		super(runner, options);
		runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
			const s = runner.stats;
			if (s) { process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`); }
		});
	}
}

export = SpecWithTotals;
