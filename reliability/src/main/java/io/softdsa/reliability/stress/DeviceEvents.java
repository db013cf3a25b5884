package io.softdsa.reliability.stress;

import io.softdsa.completion.SwerrEntry;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.PageRequestHandler;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.softdsa.reliability.stress.StressRun.ABORTED;
import static io.softdsa.reliability.stress.StressRun.DEDICATED_WQ;
import static io.softdsa.reliability.stress.StressRun.DROPPED;
import static io.softdsa.reliability.stress.StressRun.IN_FLIGHT;

/**
 * What the device tells the stress run besides completion records: SWERR entries, each of which must be an abort
 * (0xFF) or a MOVDIR64B drop (0x30 full, 0x31 disabled) of a descriptor some producer has in flight, which it then
 * resolves; and page requests, served by mapping the producer's lazy page.
 */
final class DeviceEvents {
    private final StressLedger ledger;
    private final Map<Integer, Producer> byPasid = new ConcurrentHashMap<>();
    private volatile Producer dedicatedOwner;

    DeviceEvents(StressLedger ledger) {
        this.ledger = ledger;
    }

    void add(Producer p) {
        byPasid.put(p.pasid, p);
        if (p.dedicated) {
            dedicatedOwner = p;
        }
    }

    void onSwerr(SwerrEntry e) {
        ledger.swerrSeen.increment();
        final int code = e.errorCode();
        if (code != 0xFF && code != 0x30 && code != 0x31) {
            ledger.unexplainedSwerr.increment();
            ledger.problem("unexplained SWERR 0x" + Integer.toHexString(code) + " on wq" + e.wqIndex()
                + ", opcode 0x" + Integer.toHexString(e.opcode()));
            return;
        }
        final Producer p = e.wqIndex() == DEDICATED_WQ ? dedicatedOwner : byPasid.get(e.pasid());
        final long cr = MemorySegment.ofArray(e.descriptor()).get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        final int slot = p == null ? -1 : p.slotOf(cr);
        if (slot < 0) {
            ledger.unexplainedSwerr.increment();
            ledger.problem("SWERR 0x" + Integer.toHexString(code) + " for a descriptor no producer submitted");
            return;
        }
        final int to = code == 0xFF ? ABORTED : DROPPED;
        if (!p.states.compareAndSet(slot, IN_FLIGHT, to)) {
            ledger.doubleResolved.increment();
            ledger.problem("SWERR 0x" + Integer.toHexString(code) + " for producer " + p.index + " slot " + slot
                + " in state " + p.states.get(slot));
            return;
        }
        switch (code) {
            case 0xFF -> ledger.abortedSeen.increment();
            case 0x30 -> ledger.droppedFull.increment();
            default -> ledger.droppedDisabled.increment();
        }
    }

    void onPageRequest(PageRequest request, PageRequestHandler.PageResponder responder) {
        ledger.pageRequests.increment();
        final Producer p = byPasid.get(request.pasid());
        if (p != null && p.mapLazy(request.pageAddress())) {
            responder.respond(PageRequest.RESPONSE_SUCCESS);
        } else {
            ledger.problem("page request outside every lazy region: PASID " + request.pasid() + " page 0x"
                + Long.toHexString(request.pageAddress()));
            responder.respond(PageRequest.RESPONSE_INVALID_REQUEST);
        }
    }
}
