#include <gtest/gtest.h>

#include <string>

#include "mercure/selector.hpp"

using es::mercure::Selector;
using es::mercure::SelectorError;

TEST(MercureSelector, TopicRuleTellsTemplatesFromExactTopics) {
  EXPECT_EQ(Selector::topic_selector("*").kind(), Selector::Kind::any);
  EXPECT_EQ(Selector::topic_selector("https://example.com/books/1").kind(), Selector::Kind::exact);
  EXPECT_EQ(Selector::topic_selector("https://example.com/books/{id}").kind(), Selector::Kind::uri_template);
  // Not a valid template: an exact topic, as the protocol says.
  EXPECT_EQ(Selector::topic_selector("https://example.com/{bad").kind(), Selector::Kind::exact);
  EXPECT_EQ(Selector::topic_selector("https://example.com/{a b}").kind(), Selector::Kind::exact);
  EXPECT_TRUE(Selector::topic_selector("https://example.com/{bad").matches("https://example.com/{bad"));
  EXPECT_EQ(Selector::exact("*").kind(), Selector::Kind::any);
  EXPECT_EQ(Selector::exact("https://example.com/{id}").kind(), Selector::Kind::exact);
}

TEST(MercureSelector, SimpleExpressionsStayInTheirSegment) {
  auto books = Selector::topic_selector("https://example.com/books/{id}");
  EXPECT_TRUE(books.matches("https://example.com/books/1"));
  EXPECT_TRUE(books.matches("https://example.com/books/a-b_c.d~e%20"));
  EXPECT_TRUE(books.matches("https://example.com/books/{id}")); // byte-equal always matches
  EXPECT_FALSE(books.matches("https://example.com/books/1/reviews"));
  EXPECT_FALSE(books.matches("https://example.com/users/1"));
  EXPECT_FALSE(books.matches("https://example.com/books/1?x=2"));
  EXPECT_EQ(books.literal_prefix(), "https://example.com/books/");
}

TEST(MercureSelector, Operators) {
  EXPECT_TRUE(Selector::topic_selector("https://example.com/{+path}").matches("https://example.com/a/b?c=d"));
  EXPECT_TRUE(Selector::topic_selector("https://example.com/{/seg*}").matches("https://example.com//a/b/c"));
  EXPECT_TRUE(Selector::topic_selector("https://example.com{/seg*}").matches("https://example.com/a/b/c"));
  EXPECT_TRUE(Selector::topic_selector("https://example.com/x{.ext}").matches("https://example.com/x.json"));
  auto query = Selector::topic_selector("https://example.com/search{?q,page}");
  EXPECT_TRUE(query.matches("https://example.com/search?q=cats&page=2"));
  EXPECT_TRUE(query.matches("https://example.com/search"));
  EXPECT_FALSE(query.matches("https://example.com/search?other=1"));
  EXPECT_TRUE(Selector::topic_selector("https://example.com/p{;x}").matches("https://example.com/p;x=1"));
  EXPECT_TRUE(Selector::topic_selector("https://example.com/{#frag}").matches("https://example.com/#a/b"));
  auto prefix = Selector::topic_selector("urn:{id:3}");
  EXPECT_TRUE(prefix.matches("urn:abc"));
  EXPECT_FALSE(prefix.matches("urn:abcd"));
  EXPECT_TRUE(Selector::topic_selector("urn:{a,b}").matches("urn:1,2"));
}

TEST(MercureSelector, UrlPatterns) {
  auto users = Selector::url_pattern("https://example.com/users/:id", "");
  EXPECT_TRUE(users.matches("https://example.com/users/42"));
  EXPECT_TRUE(users.matches("https://EXAMPLE.com:443/users/42?x#y")); // host case, default port, search and hash free
  EXPECT_FALSE(users.matches("https://example.com/users/"));
  EXPECT_FALSE(users.matches("https://example.com/users/42/books"));
  EXPECT_FALSE(users.matches("http://example.com/users/42"));
  EXPECT_FALSE(users.matches("https://example.com:8443/users/42"));
  auto optional = Selector::url_pattern("https://example.com/books/:id?", "");
  EXPECT_TRUE(optional.matches("https://example.com/books"));
  EXPECT_TRUE(optional.matches("https://example.com/books/7"));
  auto wildcard = Selector::url_pattern("https://*.example.com/*", "");
  EXPECT_TRUE(wildcard.matches("https://api.example.com/a/b/c"));
  EXPECT_FALSE(wildcard.matches("https://example.org/a"));
  auto group = Selector::url_pattern("https://example.com/{books/}?:id", "");
  EXPECT_TRUE(group.matches("https://example.com/books/1"));
  EXPECT_TRUE(group.matches("https://example.com/1"));
  auto repeated = Selector::url_pattern("https://example.com/files/:part+", "");
  EXPECT_TRUE(repeated.matches("https://example.com/files/a/b/c"));
  auto search = Selector::url_pattern("https://example.com/s?q=:term", "");
  EXPECT_TRUE(search.matches("https://example.com/s?q=x"));
  EXPECT_FALSE(search.matches("https://example.com/s?p=x"));
}

TEST(MercureSelector, RelativeUrlPatternsResolveAgainstTheHub) {
  auto relative = Selector::url_pattern("/books/:id", "https://hub.example.com/.well-known/mercure");
  EXPECT_TRUE(relative.matches("https://hub.example.com/books/1"));
  EXPECT_TRUE(relative.matches("/books/1"));
  EXPECT_FALSE(relative.matches("https://other.example.com/books/1"));
  auto unbased = Selector::url_pattern("/books/:id", "");
  EXPECT_TRUE(unbased.matches("/books/1"));
  EXPECT_FALSE(unbased.matches("https://hub.example.com/books/1"));
}

TEST(MercureSelector, MalformedPatternsAreRefusedWithTheReason) {
  auto error_of = [](std::string pattern) {
    try {
      Selector::url_pattern(pattern, "");
    } catch (const SelectorError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("https://example.com/(\\d+)").find("regular-expression group"), std::string::npos);
  EXPECT_NE(error_of("https://example.com/{a").find("\"{\""), std::string::npos);
  EXPECT_NE(error_of("https://example.com/a}").find("\"}\""), std::string::npos);
  EXPECT_NE(error_of("https://example.com/a\\").find("\\"), std::string::npos);
}

TEST(MercureSelector, LimitsAndHostileInputStayCheap) {
  EXPECT_THROW(Selector::topic_selector(std::string(Selector::max_length + 1, 'a')), SelectorError);
  std::string many;
  for (int i = 0; i < 65; ++i) many += "{v" + std::to_string(i) + "}";
  EXPECT_THROW(Selector::topic_selector(many), SelectorError);
  // Nested stars a backtracking matcher would take exponential time on.
  auto stars = Selector::url_pattern("/*a*a*a*a*a*a*a*a*a*a*a*a*b", "");
  EXPECT_FALSE(stars.matches("/" + std::string(3000, 'a')));
  auto lists = Selector::topic_selector("urn:{a}{b}{c}{d}{e}{f}{g}{h}!");
  EXPECT_FALSE(lists.matches("urn:" + std::string(3000, 'a')));
}
