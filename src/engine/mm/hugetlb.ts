// hugetlbfs mappings (mm/hugetlb.c): memory in whole huge pages of one size (2 MiB, mapped by a
// PMD, or 1 GiB, mapped by a PUD), faulted in whole and never split.
import type { Vma } from './vma';
import { VM } from './vma';

/** is_vm_hugetlb_page */
export function is_vm_hugetlb_page(vma: Vma): boolean {
	return (vma.flags & VM.HUGETLB) !== 0;
}
