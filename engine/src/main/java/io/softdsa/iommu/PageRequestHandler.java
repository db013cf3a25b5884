package io.softdsa.iommu;

/**
 * Software's side of PRI: receives a page request on its owner's page-request delivery thread (never an engine's)
 * and answers with a page group response through the responder — now, or later from any thread. The faulting engine
 * waits until the response or the owner's timeout counted from the raise; other engines run on. A response after
 * the timeout is ignored. May throw (the request then fails) or block (only its owner's later requests wait).
 */
@FunctionalInterface
public interface PageRequestHandler {
    void onPageRequest(PageRequest request, PageResponder responder);

    /** Sends the page group response for one request. */
    @FunctionalInterface
    interface PageResponder {
        /** @param code {@link PageRequest#RESPONSE_SUCCESS}, {@code RESPONSE_INVALID_REQUEST} or {@code RESPONSE_FAILURE} */
        void respond(int code);
    }
}
