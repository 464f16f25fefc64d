/**
 * Names in foreign content (WHATWG HTML §13.2.6.3 "adjust SVG attributes", "adjust MathML
 * attributes", "adjust foreign attributes", and the SVG tag-name table of §13.2.6.5). The
 * tokenizer lowercases every name; SVG's camelCase names are restored from these lists. Only
 * the tree builder's full mode (the serialized tree of tests and debugging) reads them: the
 * extractor never looks inside <svg> or <math>.
 */

const SVG_TAGS = ['altGlyph', 'altGlyphDef', 'altGlyphItem', 'animateColor', 'animateMotion',
  'animateTransform', 'clipPath', 'feBlend', 'feColorMatrix', 'feComponentTransfer', 'feComposite',
  'feConvolveMatrix', 'feDiffuseLighting', 'feDisplacementMap', 'feDistantLight', 'feDropShadow',
  'feFlood', 'feFuncA', 'feFuncB', 'feFuncG', 'feFuncR', 'feGaussianBlur', 'feImage', 'feMerge',
  'feMergeNode', 'feMorphology', 'feOffset', 'fePointLight', 'feSpecularLighting', 'feSpotLight',
  'feTile', 'feTurbulence', 'foreignObject', 'glyphRef', 'linearGradient', 'radialGradient',
  'textPath'];

const SVG_ATTRS = ['attributeName', 'attributeType', 'baseFrequency', 'baseProfile', 'calcMode',
  'clipPathUnits', 'diffuseConstant', 'edgeMode', 'filterUnits', 'glyphRef', 'gradientTransform',
  'gradientUnits', 'kernelMatrix', 'kernelUnitLength', 'keyPoints', 'keySplines', 'keyTimes',
  'lengthAdjust', 'limitingConeAngle', 'markerHeight', 'markerUnits', 'markerWidth',
  'maskContentUnits', 'maskUnits', 'numOctaves', 'pathLength', 'patternContentUnits',
  'patternTransform', 'patternUnits', 'pointsAtX', 'pointsAtY', 'pointsAtZ', 'preserveAlpha',
  'preserveAspectRatio', 'primitiveUnits', 'refX', 'refY', 'repeatCount', 'repeatDur',
  'requiredExtensions', 'requiredFeatures', 'specularConstant', 'specularExponent', 'spreadMethod',
  'startOffset', 'stdDeviation', 'stitchTiles', 'surfaceScale', 'systemLanguage', 'tableValues',
  'targetX', 'targetY', 'textLength', 'viewBox', 'viewTarget', 'xChannelSelector',
  'yChannelSelector', 'zoomAndPan'];

const byLower = (names: string[]): Map<string, string> => new Map(names.map((n) => [n.toLowerCase(), n]));
const SVG_TAG = byLower(SVG_TAGS);
const SVG_ATTR = byLower(SVG_ATTRS);

/**
 * Namespaced attributes as html5lib's tree format prints them ("xlink href"): the prefix, a
 * space, the local name.
 */
const FOREIGN_ATTR = new Map<string, string>([
  ['xlink:actuate', 'xlink actuate'], ['xlink:arcrole', 'xlink arcrole'], ['xlink:href', 'xlink href'],
  ['xlink:role', 'xlink role'], ['xlink:show', 'xlink show'], ['xlink:title', 'xlink title'],
  ['xlink:type', 'xlink type'], ['xml:lang', 'xml lang'], ['xml:space', 'xml space'],
  ['xmlns', 'xmlns xmlns'], ['xmlns:xlink', 'xmlns xlink'],
]);

export function svgTagName(lower: string): string {
  return SVG_TAG.get(lower) ?? lower;
}

/** An attribute's name on an element of namespace `ns` (1 = SVG, 2 = MathML) as serialized. */
export function foreignAttrName(lower: string, ns: number): string {
  if (ns === 1) {
    const a = SVG_ATTR.get(lower);
    if (a) return a;
  } else if (lower === 'definitionurl') {
    return 'definitionURL';
  }
  return FOREIGN_ATTR.get(lower) ?? lower;
}
