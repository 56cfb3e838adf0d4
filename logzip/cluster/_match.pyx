# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled template matcher: the depth-first trie search of ``matcher.Trie.find`` in C.

Tokens are hashed while the content is split; each token's hash finds its literal id (if any
template uses it as a literal), and a trie edge is a hash-table entry keyed by (node, literal id).
Slot edges are per-node arrays of (prefix, suffix, child), tried in the trie's order.
"""
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE

from .matcher import CACHE_MAX_LENGTH, CACHE_PROBE, MAX_STEPS

cdef uint64_t FNV_OFFSET = 14695981039346656037ULL
cdef uint64_t FNV_PRIME = 1099511628211ULL
cdef uint64_t ROOT = 0xFFFFFFFFULL
cdef Py_ssize_t _max_steps = MAX_STEPS
cdef Py_ssize_t _cache_max_length = CACHE_MAX_LENGTH
cdef Py_ssize_t _cache_probe = CACHE_PROBE


cdef inline uint64_t _mix(uint64_t x) noexcept nogil:
    x ^= x >> 33
    x *= 0xff51afd7ed558ccdULL
    x ^= x >> 33
    return x


cdef class RepeatCache:
    """Results of contents already seen.  It gives up (and stops costing a hash and an insert
    per content) when the first CACHE_PROBE lookups found fewer than one repeat in eight."""
    cdef dict seen
    cdef bint active
    cdef Py_ssize_t lookups, hits

    def __init__(self, bint active):
        self.seen = {}
        self.active = active

    cdef inline object get(self, bytes content):
        if not self.active or PyBytes_GET_SIZE(content) > _cache_max_length:
            return None
        self.lookups += 1
        hit = self.seen.get(content)
        if hit is not None:
            self.hits += 1
        elif self.lookups == _cache_probe and self.hits * 8 < self.lookups:
            self.active = False
            self.seen = {}
        return hit

    cdef inline void put(self, bytes content, object result):
        if self.active and PyBytes_GET_SIZE(content) <= _cache_max_length:
            self.seen[content] = result


cdef class CMatcher:
    # Literal pool and literal hash table (slot i holds literal id + 1, 0 = empty).
    cdef bytes pool
    cdef const char* pool_ptr
    cdef int64_t* lit_off
    cdef int64_t* lit_len
    cdef uint64_t* lit_hash
    cdef int32_t* lit_table
    cdef uint64_t lit_mask
    # Edge hash table: key (node << 32 | literal id, or ROOT << 32 | token count) -> child.
    cdef uint64_t* edge_key
    cdef int32_t* edge_child
    cdef uint64_t edge_mask
    # Slot edges: node -> [slot_start[node], slot_start[node + 1]).
    cdef int32_t* slot_start
    cdef int32_t* slot_child
    cdef int64_t* slot_pre_off
    cdef int64_t* slot_pre_len
    cdef int64_t* slot_suf_off
    cdef int64_t* slot_suf_len
    cdef int32_t* node_tid
    # Per-line work buffers (grown on demand).
    cdef int64_t* tok_start
    cdef int64_t* tok_end
    cdef int32_t* tok_lit
    cdef int32_t* path_node
    cdef int32_t* path_state
    cdef Py_ssize_t capacity
    cdef list slot_positions
    cdef list slot_cuts
    cdef list n_slots

    def __init__(self, trie):
        self.slot_positions = [list(p) for p in trie.slot_positions]
        self.slot_cuts = [list(c) for c in trie.slot_cuts]
        self.n_slots = list(trie.n_slots)
        literal_ids = {}
        for _, token in trie.literal:
            if token not in literal_ids:
                literal_ids[token] = len(literal_ids)
        pieces = []
        pool_len = 0
        slot_pieces = {}
        for edges in trie.slots.values():
            for prefix, suffix, _ in edges:
                for piece in (prefix, suffix):
                    if piece not in slot_pieces:
                        slot_pieces[piece] = pool_len
                        pieces.append(piece)
                        pool_len += len(piece)
        n_lit = len(literal_ids)
        self.lit_off = <int64_t*>malloc((n_lit + 1) * sizeof(int64_t))
        self.lit_len = <int64_t*>malloc((n_lit + 1) * sizeof(int64_t))
        self.lit_hash = <uint64_t*>malloc((n_lit + 1) * sizeof(uint64_t))
        for token, lid in literal_ids.items():
            self.lit_off[lid] = pool_len
            self.lit_len[lid] = len(token)
            self.lit_hash[lid] = _hash(token)
            pieces.append(token)
            pool_len += len(token)
        self.pool = b"".join(pieces)
        self.pool_ptr = PyBytes_AS_STRING(self.pool)

        cdef uint64_t size = 16
        while size < 2 * <uint64_t>n_lit + 16:
            size <<= 1
        self.lit_mask = size - 1
        self.lit_table = <int32_t*>malloc(size * sizeof(int32_t))
        cdef uint64_t i, h
        for i in range(size):
            self.lit_table[i] = 0
        for lid in range(n_lit):
            h = _mix(self.lit_hash[lid]) & self.lit_mask
            while self.lit_table[h]:
                h = (h + 1) & self.lit_mask
            self.lit_table[h] = lid + 1

        n_nodes = trie.n_nodes
        n_edges = len(trie.literal) + len(trie.roots)
        size = 16
        while size < 2 * <uint64_t>n_edges + 16:
            size <<= 1
        self.edge_mask = size - 1
        self.edge_key = <uint64_t*>malloc(size * sizeof(uint64_t))
        self.edge_child = <int32_t*>malloc(size * sizeof(int32_t))
        for i in range(size):
            self.edge_child[i] = -1
        for n, root in trie.roots.items():
            self._put_edge(ROOT, n, root)
        for (node, token), child in trie.literal.items():
            self._put_edge(node, literal_ids[token], child)

        n_slot_edges = sum(len(e) for e in trie.slots.values())
        self.slot_start = <int32_t*>malloc((n_nodes + 1) * sizeof(int32_t))
        self.slot_child = <int32_t*>malloc((n_slot_edges + 1) * sizeof(int32_t))
        self.slot_pre_off = <int64_t*>malloc((n_slot_edges + 1) * sizeof(int64_t))
        self.slot_pre_len = <int64_t*>malloc((n_slot_edges + 1) * sizeof(int64_t))
        self.slot_suf_off = <int64_t*>malloc((n_slot_edges + 1) * sizeof(int64_t))
        self.slot_suf_len = <int64_t*>malloc((n_slot_edges + 1) * sizeof(int64_t))
        self.node_tid = <int32_t*>malloc((n_nodes + 1) * sizeof(int32_t))
        for node in range(n_nodes):
            self.node_tid[node] = -1
        for node, tid in trie.tid.items():
            self.node_tid[node] = tid
        e = 0
        no_edges = ()
        for node in range(n_nodes):
            self.slot_start[node] = e
            for prefix, suffix, child in trie.slots.get(node, no_edges):
                self.slot_child[e] = child
                self.slot_pre_off[e] = slot_pieces[prefix]
                self.slot_pre_len[e] = len(prefix)
                self.slot_suf_off[e] = slot_pieces[suffix]
                self.slot_suf_len[e] = len(suffix)
                e += 1
        self.slot_start[n_nodes] = e
        self._grow(256)

    def __dealloc__(self):
        free(self.lit_off); free(self.lit_len); free(self.lit_hash); free(self.lit_table)
        free(self.edge_key); free(self.edge_child)
        free(self.slot_start); free(self.slot_child); free(self.slot_pre_off)
        free(self.slot_pre_len); free(self.slot_suf_off); free(self.slot_suf_len)
        free(self.node_tid)
        free(self.tok_start); free(self.tok_end); free(self.tok_lit)
        free(self.path_node); free(self.path_state)

    cdef void _put_edge(self, uint64_t node, uint64_t label, int32_t child):
        cdef uint64_t key = (node << 32) | label
        cdef uint64_t h = _mix(key) & self.edge_mask
        while self.edge_child[h] >= 0:
            h = (h + 1) & self.edge_mask
        self.edge_key[h] = key
        self.edge_child[h] = child

    cdef inline int32_t _edge(self, uint64_t node, uint64_t label) noexcept nogil:
        cdef uint64_t key = (node << 32) | label
        cdef uint64_t h = _mix(key) & self.edge_mask
        while self.edge_child[h] >= 0:
            if self.edge_key[h] == key:
                return self.edge_child[h]
            h = (h + 1) & self.edge_mask
        return -1

    cdef int _grow(self, Py_ssize_t n) except -1:
        if n <= self.capacity:
            return 0
        cap = max(n, 2 * self.capacity)
        self.tok_start = <int64_t*>realloc(self.tok_start, cap * sizeof(int64_t))
        self.tok_end = <int64_t*>realloc(self.tok_end, cap * sizeof(int64_t))
        self.tok_lit = <int32_t*>realloc(self.tok_lit, cap * sizeof(int32_t))
        self.path_node = <int32_t*>realloc(self.path_node, (cap + 1) * sizeof(int32_t))
        self.path_state = <int32_t*>realloc(self.path_state, (cap + 1) * sizeof(int32_t))
        if (self.tok_start == NULL or self.tok_end == NULL or self.tok_lit == NULL
                or self.path_node == NULL or self.path_state == NULL):
            raise MemoryError()
        self.capacity = cap
        return 0

    cdef Py_ssize_t _split(self, const char* s, Py_ssize_t size) except -2:
        """Split like template.tokenize; fill token bounds and literal ids; return the count,
        or -1 (and fill nothing) when no template has that many tokens."""
        cdef Py_ssize_t n = 1, i
        for i in range(size):
            if s[i] == 32 and (i == 0 or s[i - 1] != 32):
                n += 1
        if self._edge(ROOT, <uint64_t>n) < 0:
            return -1
        self._grow(n)
        cdef Py_ssize_t t = 0, start = 0
        cdef uint64_t h = FNV_OFFSET
        cdef unsigned char c
        for i in range(size):
            c = <unsigned char>s[i]
            if c == 32 and (i == 0 or s[i - 1] != 32):
                self._finish_token(s, t, start, i, h)
                t += 1
                start = i + 1
                h = FNV_OFFSET
            else:
                h = (h ^ c) * FNV_PRIME
        self._finish_token(s, t, start, size, h)
        return n

    cdef inline void _finish_token(self, const char* s, Py_ssize_t t, Py_ssize_t start,
                                   Py_ssize_t end, uint64_t h) noexcept nogil:
        self.tok_start[t] = start
        self.tok_end[t] = end
        cdef uint64_t slot = _mix(h) & self.lit_mask
        cdef int32_t lid
        cdef Py_ssize_t length = end - start
        self.tok_lit[t] = -1
        while True:
            lid = self.lit_table[slot]
            if lid == 0:
                return
            lid -= 1
            if (self.lit_hash[lid] == h and self.lit_len[lid] == length
                    and memcmp(self.pool_ptr + self.lit_off[lid], s + start, length) == 0):
                self.tok_lit[t] = lid
                return
            slot = (slot + 1) & self.lit_mask

    cdef int32_t _find(self, const char* s, Py_ssize_t n) noexcept nogil:
        """Depth-first trie search, literal edge first, then slot edges in order."""
        cdef int32_t root = self._edge(ROOT, <uint64_t>n)
        if root < 0:
            return -1
        cdef Py_ssize_t d = 0, steps = 1, length
        cdef int32_t node, state, child, e, end
        self.path_node[0] = root
        self.path_state[0] = -1
        while True:
            if d == n:
                return self.node_tid[self.path_node[d]]
            node = self.path_node[d]
            state = self.path_state[d]
            child = -1
            if state == -1:
                state = 0
                if self.tok_lit[d] >= 0:
                    child = self._edge(<uint64_t>node, <uint64_t>self.tok_lit[d])
            if child < 0:
                e = self.slot_start[node] + state
                end = self.slot_start[node + 1]
                length = self.tok_end[d] - self.tok_start[d]
                while e < end:
                    state += 1
                    if (self.slot_pre_len[e] + self.slot_suf_len[e] <= length
                            and memcmp(self.pool_ptr + self.slot_pre_off[e],
                                       s + self.tok_start[d], self.slot_pre_len[e]) == 0
                            and memcmp(self.pool_ptr + self.slot_suf_off[e],
                                       s + self.tok_end[d] - self.slot_suf_len[e],
                                       self.slot_suf_len[e]) == 0):
                        child = self.slot_child[e]
                        break
                    e += 1
            if child < 0:
                if d == 0:
                    return -1
                d -= 1
                continue
            steps += 1
            if steps > _max_steps:
                return -1
            self.path_state[d] = state
            d += 1
            self.path_node[d] = child
            self.path_state[d] = -1

    cdef int32_t _find_content(self, bytes content) except -2:
        cdef const char* s = PyBytes_AS_STRING(content)
        cdef Py_ssize_t n = self._split(s, PyBytes_GET_SIZE(content))
        return self._find(s, n) if n >= 0 else -1

    def assign(self, contents, bint cache=True):
        """Template id per content (-1 = none); ``cache=False`` when contents are distinct."""
        cdef list out = []
        cdef RepeatCache repeats = RepeatCache(cache)
        cdef bytes content
        cdef object hit
        for content in contents:
            hit = repeats.get(content)
            if hit is None:
                hit = self._find_content(content)
                repeats.put(content, hit)
            out.append(hit)
        return out

    def match(self, contents):
        """(tids, columns, unmatched) as in :class:`~logzip.cluster.template.Matches`."""
        cdef list columns = [[[] for _ in range(n)] for n in self.n_slots]
        cdef list tids = [], unmatched = [], values, cols
        cdef RepeatCache repeats = RepeatCache(True)
        cdef bytes content
        cdef object hit
        cdef int32_t tid
        cdef Py_ssize_t k
        for content in contents:
            hit = repeats.get(content)
            if hit is None:
                hit = self._match_one(content)
                repeats.put(content, hit)
            tid = (<tuple>hit)[0]
            tids.append(tid)
            if tid < 0:
                unmatched.append(content)
            else:
                values = <list>(<tuple>hit)[1]
                cols = <list>columns[tid]
                for k in range(len(values)):
                    (<list>cols[k]).append(values[k])
        return tids, columns, unmatched

    cdef tuple _match_one(self, bytes content):
        cdef const char* s = PyBytes_AS_STRING(content)
        cdef Py_ssize_t n = self._split(s, PyBytes_GET_SIZE(content))
        cdef int32_t tid = self._find(s, n) if n >= 0 else -1
        if tid < 0:
            return (tid, None)
        cdef list values = []
        cdef list positions = <list>self.slot_positions[tid]
        cdef list cuts = <list>self.slot_cuts[tid]
        cdef Py_ssize_t k, p, a, b
        for k in range(len(positions)):
            p = positions[k]
            a = (<tuple>cuts[k])[0]
            b = (<tuple>cuts[k])[1]
            values.append(PyBytes_FromStringAndSize(
                s + self.tok_start[p] + a, self.tok_end[p] - b - self.tok_start[p] - a))
        return (tid, values)


cdef uint64_t _hash(bytes token):
    """FNV-1a, as computed by CMatcher._split."""
    cdef const char* s = PyBytes_AS_STRING(token)
    cdef uint64_t h = FNV_OFFSET
    cdef Py_ssize_t i
    for i in range(PyBytes_GET_SIZE(token)):
        h = (h ^ <unsigned char>s[i]) * FNV_PRIME
    return h


cdef bytes _DELIMITER_BYTES = b" \t\n\r\x0b\x0c=:,()[]{}<>/\"'|;@"
cdef const char* _CALENDAR = b"MonTueWedThuFriSatSunJanFebMarAprMayJunJulAugSepOctNovDec"
cdef unsigned char _is_delimiter[256]
for _c in _DELIMITER_BYTES:
    _is_delimiter[_c] = 1


cdef inline bint _is_calendar(const unsigned char* s) noexcept nogil:
    cdef const unsigned char* names = <const unsigned char*>_CALENDAR
    cdef int k
    for k in range(0, 57, 3):
        if s[0] == names[k] and s[1] == names[k + 1] and s[2] == names[k + 2]:
            return True
    return False


cdef inline bint _is_word_byte(unsigned char c) noexcept nogil:
    return (c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) or c == 95


def tokenize_masked(bytes content):
    """``(tokenize(content), tokenize(miner._mask(content)))``, in one pass."""
    cdef const unsigned char* s = <const unsigned char*>PyBytes_AS_STRING(content)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(content)
    cdef bytearray masked = bytearray(size)
    cdef unsigned char* m = masked
    cdef Py_ssize_t i = 0, j, k, out = 0, digit
    while i < size:
        if _is_delimiter[s[i]]:
            m[out] = s[i]
            out += 1
            i += 1
            continue
        j = i
        digit = 0
        while j < size and not _is_delimiter[s[j]]:
            if s[j] >= 48 and s[j] <= 57:
                digit = 1
            j += 1
        if digit:
            m[out] = 35
            out += 1
        else:
            k = i
            if j - i >= 3 and _is_calendar(s + i) and (i + 3 == size or not _is_word_byte(s[i + 3])):
                m[out] = 35
                out += 1
                k = i + 3
            while k < j:
                m[out] = s[k]
                out += 1
                k += 1
        i = j
    return _split_tokens(content), _split_tokens(bytes(masked[:out]))


cdef list _split_tokens(bytes content):
    """As template.tokenize."""
    cdef const char* s = PyBytes_AS_STRING(content)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(content), i, start = 0
    cdef list tokens = []
    for i in range(size):
        if s[i] == 32 and (i == 0 or s[i - 1] != 32):
            tokens.append(PyBytes_FromStringAndSize(s + start, i - start))
            start = i + 1
    tokens.append(PyBytes_FromStringAndSize(s + start, size - start))
    return tokens
