/**
 * `/c/:id`: one conversation, rendered on the server from the database (readable without
 * JavaScript). An unknown id, or another session's conversation, gets the 404 page.
 */
import { loadChatPage } from "../../components/chat/page_data.ts";
import type { ChatAppProps } from "../../components/chat/types.ts";
import ChatApp from "../../islands/ChatApp.tsx";
import type { AppState } from "../../lib/services.ts";
import type { Handlers, PageProps } from "../../lib/web/types.ts";

export const handler: Handlers<AppState, ChatAppProps> = {
  async GET(_req, ctx) {
    const data = await loadChatPage(ctx.state, ctx.url, ctx.params.id);
    return data ? await ctx.render(data) : await ctx.renderNotFound();
  },
};

export default function ConversationPage({ data }: PageProps<ChatAppProps, AppState>) {
  return <ChatApp {...data} />;
}
