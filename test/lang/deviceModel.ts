// Whether the engine side of the device model (Machine.launchKernel, prefetch, advise, copies) is
// in this build. Until it is merged those methods refuse with one fixed message, and the tests that
// need them skip, saying why; once merged, they run.
import { Machine } from '../../src/engine/machine';
import { SimError } from '../../src/engine/sim/errors';

export const NOT_MERGED = 'device model not merged';

export function deviceModelMerged(): boolean {
	try {
		new Machine().copies({ addr: 0, len: 4096 }, 'ram');
	} catch (e) {
		return !(e instanceof SimError && e.message === NOT_MERGED);
	}
	return true;
}
