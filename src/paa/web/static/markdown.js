// The little Markdown the assistant writes (paragraphs, - and 1. lists, **bold**, *italic*, `code`), drawn as
// elements with text nodes: no HTML is ever parsed, so a reply cannot inject markup.

import { h } from "./dom.js";

const INLINE = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*)/g;

function inline(text) {
  return text.split(INLINE).filter(Boolean).map((part) => {
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) return h("strong", {}, part.slice(2, -2));
    if (part.startsWith("`") && part.endsWith("`") && part.length > 2) return h("code", {}, part.slice(1, -1));
    if (part.startsWith("*") && part.endsWith("*") && part.length > 2) return h("em", {}, part.slice(1, -1));
    return part;
  });
}

export function markdown(text) {
  const blocks = [];
  let list = null;
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length) blocks.push(h("p", {}, inline(paragraph.join(" "))));
    paragraph = [];
  };
  for (const line of text.split("\n")) {
    const item = line.match(/^\s*(?:([-*])|(\d+)\.)\s+(.*)$/);
    if (item) {
      endParagraph();
      const tag = item[1] ? "ul" : "ol";
      if (!list || list.tagName.toLowerCase() !== tag) blocks.push((list = h(tag, {})));
      list.append(h("li", {}, inline(item[3])));
    } else if (!line.trim()) {
      endParagraph();
      list = null;
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  endParagraph();
  return blocks;
}
