package io.softdsa.iommu;

/**
 * Software's side of PRI: receives a page request (on the faulting engine's thread) and answers with a page group
 * response through the responder — now, or later from any thread. The engine waits; other engines run on.
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
