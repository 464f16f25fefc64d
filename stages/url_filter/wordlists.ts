/**
 * The URL word lists (spec §1; RW G.1 describes three lists but did not publish them, so these
 * are the project's own). Adult content is what RW's word scoring targets; gambling, dating,
 * etc. are left to the UT1 category blocklists.
 *
 * - strict: matched as substrings of the lowercased URL with non-alphanumerics removed, so
 *   only strings that are (nearly) never part of innocent words joined together belong here
 *   ("sextube" is out: "middlesex-tube"; "creampie" is out: "ice-cream-pie"). One hit bans.
 * - hard: matched as whole words of the URL split on `[^a-z0-9]+`; one hit bans. Words that
 *   are unambiguous alone but would hit innocent words as substrings ("milf" in "milford").
 * - soft: whole words that are innocent alone ("hot", "teen", "cum" in "summa cum laude",
 *   "tits" the birds, "hooker" the rugby position) but not together; two or more hits ban.
 */
export const STRICT_WORDS = [
  'porn', 'pornhub', 'xvideos', 'xnxx', 'xhamster', 'redtube', 'youporn', 'spankbang', 'brazzers', 'livejasmin',
  'chaturbate', 'bongacams', 'stripchat', 'hentai', 'blowjob', 'handjob', 'cumshot', 'gangbang', 'bukkake',
  'pussylicking', 'camgirl', 'xxxvideo',
];

export const HARD_WORDS = [
  'xxx', 'milf', 'milfs', 'bdsm', 'shemale', 'shemales', 'tranny', 'nsfw', 'nudes', 'slut', 'sluts', 'whore', 'whores',
  'fuck', 'fucking', 'fucked', 'dildo', 'dildos', 'jizz', 'upskirt', 'boobs', 'sexo', 'porno',
];

export const SOFT_WORDS = [
  'sex', 'sexy', 'nude', 'naked', 'adult', 'erotic', 'erotica', 'escort', 'escorts', 'hot', 'girls', 'teen', 'teens',
  'amateur', 'hardcore', 'babe', 'babes', 'cam', 'cams', 'webcam', 'strip', 'stripper', 'lingerie', 'bikini',
  'mature', 'busty', 'horny', 'kinky', 'xx', 'anal', 'cock', 'cocks', 'pussy', 'tits', 'fetish', 'voyeur', 'hooker',
  'hookers', 'incest', 'orgy', 'orgies', 'cum',
];

/** RW's curated-source domains (spec §1): their content enters a mix through curated corpora. */
export const CURATED_DOMAINS = [
  'arxiv.org', 'askubuntu.com', 'stackoverflow.com', 'stackapps.com', 'stackexchange.com', 'mathoverflow.net',
  'exporter.nih.gov', 'ncbi.nlm.nih.gov', 'github.com', 'irclogs.ubuntu.com', 'news.ycombinator.com',
  'courtlistener.com', 'reddit.com', 'statmt.org', 'uspto.gov', 'wikipedia.org',
];

/** RW's UT1 categories (RW G.1). */
export const RW_CATEGORIES = [
  'adult', 'phishing', 'dating', 'gambling', 'filehosting', 'ddos', 'agressif', 'chat', 'mixed_adult', 'arjel',
];
