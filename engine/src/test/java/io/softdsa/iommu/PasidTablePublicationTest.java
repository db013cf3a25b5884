package io.softdsa.iommu;

import io.softdsa.memory.HostMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 items 16 and 1 (IOMMU side): a PASID-table entry is published once, never rewritten while present; a
 * walker that read a present qword 0 pairs it with that entry's qword 2 even if the entry is cleared meanwhile; a
 * quarantined PASID is neither handed out nor bound; an address space that unbinds late leaves a newer binding alone.
 */
@Timeout(30)
class PasidTablePublicationTest {
    private HostMemory memory;
    private ScalableModeIommu iommu;

    @BeforeEach
    void setUp() {
        memory = HostMemory.allocate(64L << 20);
        iommu = new ScalableModeIommu(memory);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    @Test
    void bindRefusesAPasidThatIsAlreadyBound() {
        final int p = iommu.allocatePasid();
        final AddressSpace first = iommu.bind(p);
        final SecondLevelTables s2 = iommu.newSecondLevel();
        final long entry = iommu.pasidTable().lookup(p);
        final long q2 = iommu.pasidTable().qword2(entry);
        assertThrows(IllegalStateException.class, () -> iommu.bindNested(p, 0x5000, 4, false, s2));
        assertThrows(IllegalStateException.class, () -> iommu.bindSecondLevel(p, s2));
        assertThrows(IllegalStateException.class, () -> iommu.bind(p));
        assertThrows(IllegalStateException.class,
            () -> iommu.pasidTable().set(p, PasidTableLayout.PGTT_NESTED, 0x5000, 4, false, s2.root()));
        assertEquals(q2, iommu.pasidTable().qword2(entry), "the bound entry was not touched");
        assertEquals(first.root(), PasidTable.firstLevelRoot(q2));
        // the VT-d order instead: clear present, invalidate (waits out walkers), write, publish
        iommu.unbindPasid(p);
        iommu.bindNested(p, 0x5000, 4, false, s2);
        final long q0 = iommu.pasidTable().qword0(iommu.pasidTable().lookup(p));
        assertEquals(PasidTableLayout.PGTT_NESTED, PasidTable.pgtt(q0));
        assertEquals(0x5000, PasidTable.firstLevelRoot(iommu.pasidTable().qword2(iommu.pasidTable().lookup(p))));
    }

    @Test
    void aWalkerThatReadPresentBeforeAClearStillReadsItsOwnQword2() {
        final int p = iommu.allocatePasid();
        final AddressSpace as = iommu.bind(p);
        final long entry = iommu.pasidTable().lookup(p);
        final long q0 = iommu.pasidTable().qword0(entry); // the walker's acquire of qword 0: present
        assertTrue((q0 & PasidTableLayout.PRESENT) != 0);
        iommu.pasidTable().clear(p); // the control path clears between the walker's two loads
        final long q2 = iommu.pasidTable().qword2(entry);
        assertEquals(as.root(), PasidTable.firstLevelRoot(q2),
            "never a torn (present, root 0) pair: a first-level root at host-physical 0 is someone else's memory");
        assertEquals(-1, iommu.pasidTable().lookup(p));
    }

    @Test
    void aQuarantinedPasidIsNeitherHandedOutNorBound() {
        final int p = iommu.allocatePasid();
        iommu.bind(p);
        iommu.quarantinePasid(p);
        assertEquals(-1, iommu.pasidTable().lookup(p), "unbound before quarantine returns");
        assertTrue(iommu.inQuarantine(p));
        for (int i = 0; i < 100; i++) {
            assertNotEquals(p, iommu.allocatePasid(), "a PASID in quarantine is never handed out");
        }
        assertThrows(IllegalStateException.class, () -> iommu.bind(p));
        assertThrows(IllegalStateException.class, () -> iommu.bindSecondLevel(p, iommu.newSecondLevel()));
        iommu.releaseQuarantine(p);
        assertFalse(iommu.inQuarantine(p));
        final ScalableModeIommu fresh = iommu;
        int again = -1;
        for (int i = 0; i < 200 && again != p; i++) {
            again = fresh.allocatePasid();
        }
        assertEquals(p, again, "released: allocatable again");
    }

    @Test
    void anAddressSpaceUnbindingLateLeavesTheNextBindingAlone() {
        final int p = iommu.allocatePasid();
        final AddressSpace old = iommu.bind(p);
        iommu.freePasid(p); // the PASID is freed (and unbound) behind the address space's back
        final int q = iommu.allocatePasid();
        assertEquals(p, q, "lowest free PASID");
        final AddressSpace next = iommu.bind(q);
        old.unbind(); // the old owner's late teardown
        final long entry = iommu.pasidTable().lookup(q);
        assertTrue(entry >= 0, "the new owner's binding survives the old owner's unbind");
        assertEquals(next.root(), PasidTable.firstLevelRoot(iommu.pasidTable().qword2(entry)));
        next.unbind();
        assertEquals(-1, iommu.pasidTable().lookup(q));
    }
}
